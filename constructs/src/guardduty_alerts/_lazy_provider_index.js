"use strict";
// Preloaded (node --require) into the jsii kernel's Node process by guardduty_alerts.fast_provider.
//
// When the kernel loads the @cdktf/provider-aws assembly it requires the package's lib/index.js, which
// requires all ~2,100 resource modules (about 5 s and 450 MB on a 2-core machine). A JavaScript cdktf program
// avoids that by importing only `@cdktf/provider-aws/lib/<resource>`. This hook gives the kernel the same:
// for the verified version only, lib/index.js is replaced by an exports object whose members are getters
// requiring `./<resource>` on first use. The kernel finds classes by walking that object along the type's
// namespace (`snsTopic.SnsTopic`), so it sees the same modules; any other file, package or version is
// loaded untouched.

const fs = require("fs");
const Module = require("module");
const path = require("path");

const VERIFIED_VERSION = "20.1.0"; // keep in step with VERIFIED_VERSION in fast_provider.py
const INDEX_SUFFIX = path.join("@cdktf", "provider-aws", "lib", "index.js");
// The generated index is one `exports.<namespace> = require("./<folder>");` line per resource module.
const EXPORT_LINE = /^exports\.([A-Za-z_$][\w$]*) = require\("\.\/([a-z0-9-]+)"\);$/gm;

function lazyIndex(filename, parent) {
  const pkg = JSON.parse(fs.readFileSync(path.join(filename, "..", "..", "package.json"), "utf8"));
  if (pkg.name !== "@cdktf/provider-aws" || pkg.version !== VERIFIED_VERSION) {
    return undefined;
  }
  const source = fs.readFileSync(filename, "utf8");
  const entries = [...source.matchAll(EXPORT_LINE)];
  if (entries.length === 0) {
    return undefined;
  }
  const mod = new Module(filename, parent);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(path.dirname(filename));
  Object.defineProperty(mod.exports, "__esModule", { value: true });
  for (const [, name, folder] of entries) {
    Object.defineProperty(mod.exports, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = mod.require(`./${folder}`);
        Object.defineProperty(mod.exports, name, { configurable: true, enumerable: true, writable: true, value });
        return value;
      },
    });
  }
  mod.loaded = true;
  return mod;
}

const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request.endsWith(INDEX_SUFFIX) || request === "@cdktf/provider-aws") {
    const filename = Module._resolveFilename(request, parent, isMain);
    if (filename.endsWith(INDEX_SUFFIX)) {
      const cached = Module._cache[filename];
      if (cached !== undefined) {
        return cached.exports;
      }
      const mod = lazyIndex(filename, parent);
      if (mod !== undefined) {
        Module._cache[filename] = mod;
        return mod.exports;
      }
    }
  }
  return originalLoad.apply(this, arguments);
};
