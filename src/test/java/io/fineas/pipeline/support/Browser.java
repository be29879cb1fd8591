package io.fineas.pipeline.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;

import static org.assertj.core.api.Assertions.assertThat;

/** A real headless browser for the page tests: Debian's chromium driven by Selenium through chromium-driver. */
public final class Browser {

    private Browser() {
    }

    public static WebDriver open() throws IOException {
        assertThat(Path.of("/usr/bin/chromium")).as("the browser tests need Debian's chromium and chromium-driver: "
                + "apt-get install chromium chromium-driver, or run .ci/run, which installs them").exists();
        assertThat(Path.of("/usr/bin/chromedriver")).as("the browser tests need Debian's chromium-driver: "
                + "apt-get install chromium-driver, or run .ci/run, which installs it").exists();
        System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1200,900",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        return new ChromeDriver(options);
    }

    /** Saves what the browser shows as target/screenshots/{name}.png. */
    public static void screenshot(WebDriver browser, String name) throws IOException {
        Path shot = Path.of("target", "screenshots", name + ".png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
