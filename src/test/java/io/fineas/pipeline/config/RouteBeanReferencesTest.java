package io.fineas.pipeline.config;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.camel.Body;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeException;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Headers;
import org.apache.camel.Message;
import org.apache.camel.Variable;
import org.apache.camel.Variables;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every bean a route names (a {@code bean:} step or a {@code method:} expression: {@code ref} and {@code method}) is
 * bound when every role runs, and has a public method of that name taking as many arguments as the route passes: a
 * renamed or removed Java method, or one that gained a parameter, fails here, not at run time when a route first
 * reaches it. (Camel checks a bean step's method name when it creates the route, not the arguments: a retry policy
 * called with one argument too few started, and failed at the first redelivery.) A method named alone is the only
 * public one of its name and binds its parameters by annotation ({@code @Body}, {@code @Header}, {@code @Variable},
 * {@code @Simple("${exception}")}): the compiler checks them, and the route reads as the step it is.
 */
class RouteBeanReferencesTest extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "all";
    }

    @Override
    protected void overrideProperties(java.util.Properties p) {
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + ids().suffix());
        p.put("pipeline.kafka.inference-topic", "inference-" + ids().suffix());
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
    }

    /** The route files this boot's roles load: every one but the node role's (NodeRouteBeanReferencesTest). */
    protected boolean checks(Path routeFile) {
        return !routeFile.startsWith(Path.of("routes", "node"));
    }

    /** A route's reference to a bean's method: where it is, the bean, the method, the arguments it passes (or -1). */
    record Reference(String file, String ref, String method, int arguments) {
    }

    @Test
    void everyBeanAndMethodARouteNamesExists() throws IOException {
        List<Reference> references = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && checks(f)).sorted().toList()) {
                try (Reader r = Files.newBufferedReader(file)) {
                    collect(file.toString(), new Yaml(new SafeConstructor(new LoaderOptions())).load(r), references);
                }
            }
        }
        assertThat(references).as("the routes name beans").isNotEmpty();
        List<String> broken = new ArrayList<>();
        for (Reference ref : references) {
            Object bean = context.getRegistry().lookupByName(ref.ref());
            if (bean == null) {
                broken.add(ref.file() + ": no bean '" + ref.ref() + "'");
                continue;
            }
            if (ref.method() == null) {
                continue;
            }
            List<Method> named = Arrays.stream(bean.getClass().getMethods())
                    .filter(m -> m.getName().equals(ref.method()) && !Modifier.isStatic(m.getModifiers())).toList();
            if (named.isEmpty()) {
                broken.add(ref.file() + ": " + ref.ref() + " (" + bean.getClass().getSimpleName() + ") has no public "
                        + "method '" + ref.method() + "'");
            } else if (ref.arguments() >= 0 && named.stream().noneMatch(m -> m.getParameterCount() == ref.arguments()
                    || m.isVarArgs())) {
                broken.add(ref.file() + ": " + ref.ref() + "." + ref.method() + " takes no " + ref.arguments()
                        + " argument(s)");
            } else if (ref.arguments() < 0) {
                String unbound = unbound(named);
                if (unbound != null) {
                    broken.add(ref.file() + ": " + ref.ref() + "." + ref.method() + " is named alone, but " + unbound);
                }
            }
        }
        assertThat(broken).isEmpty();
        long positional = references.stream().filter(r -> r.arguments() > 0).count();
        System.out.printf("bean calls: %d name the method alone (its parameters bound by annotations), %d pass "
                + "arguments in the route%n", references.stream().filter(r -> r.method() != null
                && r.arguments() < 0).count(), positional);
    }

    private static final Set<Class<?>> BINDINGS = Set.of(Body.class, Header.class, Variable.class,
            ExchangeProperty.class, Headers.class, Variables.class);
    private static final Set<Class<?>> CONTEXT = Set.of(Exchange.class, Message.class, CamelContext.class);

    /**
     * Why Camel could not bind a method named without arguments the way it reads: null when there is one public
     * method of that name and each parameter is bound by an annotation (Camel's, or a language's such as
     * {@code @Simple}), or is the exchange, its message or the context, but for at most one, which gets the body.
     */
    static String unbound(List<Method> named) {
        if (named.size() != 1) {
            return named.size() + " public methods have that name: Camel would choose by the body's type";
        }
        Method m = named.get(0);
        int bodies = 0;
        for (Parameter p : m.getParameters()) {
            if (p.isAnnotationPresent(ExchangeException.class)) {
                return "its parameter " + p + " is @ExchangeException, which Camel binds to the innermost cause: "
                        + "@Simple(\"${exception}\") is the exception the route caught";
            }
            boolean bound = CONTEXT.contains(p.getType()) || Arrays.stream(p.getAnnotations()).anyMatch(a ->
                    BINDINGS.contains(a.annotationType()) || a.annotationType().isAnnotationPresent(
                            org.apache.camel.support.language.LanguageAnnotation.class));
            if (!bound && ++bodies > 1) {
                return "its parameters " + Arrays.toString(m.getParameters()) + " are not bound by annotations";
            }
        }
        return null;
    }

    /** Each map with a {@code ref} (and its {@code method}), anywhere in the file's tree. */
    @SuppressWarnings("unchecked")
    private static void collect(String file, Object node, List<Reference> out) {
        if (node instanceof Map<?, ?> map) {
            Object ref = map.get("ref");
            Object method = map.get("method");
            if (ref instanceof String r && !r.contains("{{") && (method == null || method instanceof String)) {
                out.add(reference(file, r, (String) method));
            }
            for (Object v : map.values()) {
                collect(file, v, out);
            }
        } else if (node instanceof List<?> list) {
            for (Object v : list) {
                collect(file, v, out);
            }
        }
    }

    /** "shouldRetry(${exception}, ${header.X})": the name, and the arguments counted at the top level. */
    static Reference reference(String file, String ref, String method) {
        if (method == null) {
            return new Reference(file, ref, null, -1);
        }
        int open = method.indexOf('(');
        if (open < 0) {
            return new Reference(file, ref, method.strip(), -1);
        }
        String args = method.substring(open + 1, method.lastIndexOf(')')).strip();
        int count = args.isEmpty() ? 0 : 1;
        int depth = 0;
        char quote = 0;
        for (char c : args.toCharArray()) {
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                count++;
            }
        }
        return new Reference(file, ref, method.substring(0, open).strip(), count);
    }
}
