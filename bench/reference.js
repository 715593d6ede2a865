"use strict";
// The JavaScript reference for bench/synth.py: native cdktf synthesizing the resources of the project's
// stacks, read from a Python synth (`node reference.js PY_OUTDIR OUTDIR [module|index]`). Each resource is
// created with its provider class at the same construct path, so the output is the project's JSON again
// (bench/synth.py compares them). The class comes from its own module (`@cdktf/provider-aws/lib/sns-topic`,
// the fastest a JavaScript program can do) or, with `index`, from the package index
// (`import { snsTopic } from "@cdktf/provider-aws"`, as cdktf's examples write it), which loads every module.
const fs = require("fs");
const path = require("path");
const { App, LocalBackend, S3Backend, TerraformOutput, TerraformStack } = require("cdktf");
const { Construct } = require("constructs");

const [sourceDir, outdir, imports = "module"] = process.argv.slice(2);
const providerModule = (folder) =>
  imports === "index" ? require("@cdktf/provider-aws")[camel(folder)] : require(`@cdktf/provider-aws/lib/${folder}`);

// Attributes whose prop name cdktf changes because it clashes with a method in some jsii language.
const RENAMED = { equals: "equalTo" };
const camel = (key) => RENAMED[key] || key.replace(/[_-]([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (key) => camel(key).replace(/^./, (c) => c.toUpperCase());

// Terraform JSON attributes -> construct props: block and attribute names are camelCased; tag maps are data.
function props(value, key = "") {
  if (Array.isArray(value)) return value.map((item) => props(item));
  if (value === null || typeof value !== "object" || key.startsWith("tags")) return value;
  return Object.fromEntries(
    Object.entries(value).filter(([k]) => k !== "//" && k !== "depends_on").map(([k, v]) => [camel(k), props(v, k)]),
  );
}

function resourceClass(kind, data) {
  const name = kind.replace(/^aws_/, "");
  const module = providerModule(`${data ? "data-aws-" : ""}${name.replace(/_/g, "-")}`);
  return module[`${data ? "DataAws" : ""}${pascal(name)}`];
}

// The backends the project writes: local state files (the default) or S3 (`state: s3` in the configuration).
const BACKENDS = { local: LocalBackend, s3: S3Backend };

const app = new App({ outdir });
const manifest = JSON.parse(fs.readFileSync(path.join(sourceDir, "manifest.json"), "utf8"));
for (const stackName of Object.keys(manifest.stacks).sort()) {
  const tf = JSON.parse(fs.readFileSync(path.join(sourceDir, manifest.stacks[stackName].synthesizedStackPath), "utf8"));
  const stack = new TerraformStack(app, stackName);
  const scopes = new Map([[stackName, stack]]);
  const scopeOf = (parts) => {
    const key = parts.join("/");
    if (!scopes.has(key)) scopes.set(key, new Construct(scopeOf(parts.slice(0, -1)), parts[parts.length - 1]));
    return scopes.get(key);
  };
  for (const config of tf.provider.aws) new (providerModule("provider").AwsProvider)(stack, "aws", props(config));
  // Settings the project writes as overrides (a backend option cdktf 0.21.0 does not know) are overrides here.
  const overridden = tf["//"].metadata.overrides || {};
  for (const [kind, settings] of Object.entries(tf.terraform.backend || {})) {
    const Backend = BACKENDS[kind];
    if (!Backend) throw new Error(`${stackName}: no reference for the ${kind} backend`);
    const known = Object.fromEntries(Object.entries(settings).filter(([k]) => !(overridden.backend || []).includes(k)));
    const backend = new Backend(stack, props(known));
    for (const key of overridden.backend || []) backend.addOverride(key, settings[key]);
  }
  for (const [block, data] of [[tf.data || {}, true], [tf.resource || {}, false]]) {
    for (const [kind, instances] of Object.entries(block)) {
      const Class = resourceClass(kind, data);
      for (const body of Object.values(instances)) {
        const parts = body["//"].metadata.path.split("/");
        const resource = new Class(scopeOf(parts.slice(0, -1)), parts[parts.length - 1], props(body));
        if (body.depends_on) resource.dependsOn = body.depends_on;
        // Comments the project adds to a resource's "//" block (checkov skips) are overrides as well.
        for (const [key, value] of Object.entries(body["//"])) {
          if (key !== "metadata") resource.addOverride(`//.${key}`, value);
        }
      }
    }
  }
  for (const [name, output] of Object.entries(tf.output || {})) new TerraformOutput(stack, name, output);
}
app.synth();
