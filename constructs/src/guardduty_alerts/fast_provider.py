"""Fast loading of the hashicorp/aws provider bindings: only the resource modules this package uses.

`import cdktf_cdktf_provider_aws.sns_topic` first runs the package `__init__`, which imports all ~2,100
resource modules (10-20 s per process); and when the jsii kernel (Node) loads the provider assembly it
requires the JavaScript package index, which requires all of them again (about 5 s and 450 MB). A JavaScript
cdktf program pays for neither. `install()` removes both costs for the verified provider version:

- Python: an empty package module for `cdktf_cdktf_provider_aws` goes into `sys.modules`, built from the real
  package's import spec (same `__path__`, `__file__`, loader) without running its `__init__`. Importing a
  submodule (`from cdktf_cdktf_provider_aws.sns_topic import SnsTopic`) then loads that module and the real
  `_jsii` package, which loads the same assembly tarball into the kernel (through jsii's package cache) as the
  eager import does. Attribute access on the package (`cdktf_cdktf_provider_aws.s3_bucket`) imports the
  submodule on demand, and `link_type_modules()` tells the jsii runtime where each namespace lives, so a type
  the kernel returns from a module nobody imported is still found.
- Node: `_lazy_provider_index.js` is preloaded into the kernel (NODE_OPTIONS --require) and gives it a
  package index whose members require their module on first use.

It also silences jsii's Node 20 end-of-life banner (JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION, unless
set). The synthesized JSON is byte-identical either way (tests/test_fast_provider.py runs both). Any other provider
version falls back to the normal import with a one-line notice; GUARDDUTY_ALERTS_EAGER_PROVIDER=1 forces it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

__all__ = [
    "EAGER_ENV_VAR",
    "NODE_BANNER_ENV_VAR",
    "PROVIDER_PACKAGE",
    "VERIFIED_VERSION",
    "install",
    "link_type_modules",
    "warm_up_kernel",
]

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
PROVIDER_DISTRIBUTION = "cdktf-cdktf-provider-aws"
# The layout this relies on (package __init__ only re-exports; submodules import `.._jsii`; the JavaScript
# index is one require per module) was checked on this release. Keep in step with _lazy_provider_index.js.
VERIFIED_VERSION = "20.1.0"
JSII_ASSEMBLY = "@cdktf/provider-aws"
EAGER_ENV_VAR = "GUARDDUTY_ALERTS_EAGER_PROVIDER"
# jsii prints a 12-line end-of-life banner on every run under Node 20 (the Node of these machines) unless
# this names that major version; an explicit setting of the user wins.
NODE_BANNER_ENV_VAR = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
NODE_HOOK = Path(__file__).with_name("_lazy_provider_index.js")


def _node_hook_option() -> str:
    path = str(NODE_HOOK)
    return f'--require "{path}"' if " " in path else f"--require={path}"


def _set_node_hook(enabled: bool) -> None:
    # The kernel process starts on the first jsii call and inherits os.environ then; the hook does nothing
    # in any other Node process, so leaving it set for child processes is harmless.
    option = _node_hook_option()
    options = [part for part in os.environ.get("NODE_OPTIONS", "").split(option) if part.strip()]
    joined = " ".join(part.strip() for part in options)
    if enabled:
        joined = f"{joined} {option}".strip()
    if joined:
        os.environ["NODE_OPTIONS"] = joined
    else:
        os.environ.pop("NODE_OPTIONS", None)


def _submodule_getter(package: str) -> Callable[[str], ModuleType]:
    def __getattr__(name: str) -> ModuleType:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"{package}.{name}":
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
            raise

    return __getattr__


def install(*, version: str | None = None) -> bool:
    """Put the lazy provider package in place; True if it is in use. Cheap: nothing from jsii is imported.

    `version` overrides the installed version (for tests of the fallback).
    """
    os.environ.setdefault(NODE_BANNER_ENV_VAR, "20")
    if os.environ.get(EAGER_ENV_VAR) == "1":
        _set_node_hook(False)
        return False
    loaded = sys.modules.get(PROVIDER_PACKAGE)
    if loaded is not None:
        return getattr(loaded, "__guardduty_alerts_lazy__", False)
    if version is None:
        try:
            version = importlib.metadata.version(PROVIDER_DISTRIBUTION)
        except importlib.metadata.PackageNotFoundError:
            return False  # the import in _aws.py reports the missing package
    if version != VERIFIED_VERSION:
        print(
            f"notice: {PROVIDER_DISTRIBUTION} {version} is not the verified {VERIFIED_VERSION}; "
            "importing the whole provider package (slower synth)",
            file=sys.stderr,
        )
        _set_node_hook(False)
        return False
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return False
    module = importlib.util.module_from_spec(spec)
    module.__getattr__ = _submodule_getter(PROVIDER_PACKAGE)  # type: ignore[attr-defined]
    module.__guardduty_alerts_lazy__ = True  # type: ignore[attr-defined]
    sys.modules[PROVIDER_PACKAGE] = module
    _set_node_hook(NODE_HOOK.is_file())
    return True


def _namespace(module_name: str) -> str:
    """The jsii namespace of a provider submodule: `sns_topic` -> `snsTopic` (pacmak snake-cases it)."""
    first, *rest = module_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def link_type_modules() -> None:
    """Map every provider namespace to its Python module for the jsii runtime's on-demand type lookup.

    The eager package needs no map: every type is registered at import. With the lazy package, a type
    that the kernel hands back from a module nobody imported (a child found through `node.children`, say)
    is resolved by importing that one module.
    """
    module = sys.modules.get(PROVIDER_PACKAGE)
    if not getattr(module, "__guardduty_alerts_lazy__", False):
        return
    from jsii import _reference_map  # jsii is loaded by now: the caller has imported provider classes

    fqn_map = getattr(_reference_map, "_submodule_fqn_map", None)
    if fqn_map is None:  # a jsii runtime without on-demand lookup; the imported classes still work
        return
    (folder,) = module.__path__
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                fqn_map.setdefault(f"{JSII_ASSEMBLY}.{_namespace(entry.name)}", f"{PROVIDER_PACKAGE}.{entry.name}")


def _import_quietly(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: S110 - the main thread's own import raises it again, with its traceback
        pass


def warm_up_kernel() -> threading.Thread | None:
    """Start the jsii kernel and load the assemblies in a thread; the caller reads its configuration meanwhile.

    Two Node processes start and three assemblies load (about 1 s, nearly all of it waiting on Node), while
    the caller's own work (YAML, JSON Schema) needs the Python interpreter: on two cores they overlap. Python's
    per-module import locks make a later `import cdktf` in the caller wait for what is still loading. The
    thread is a daemon, so a caller that stops early (bad configuration) exits at once: Node sees its pipes
    close and exits too, and the interrupted load's error is dropped. Only with the lazy package; eager
    loading is bound to the Python interpreter and would just compete with the caller.
    """
    if not getattr(sys.modules.get(PROVIDER_PACKAGE), "__guardduty_alerts_lazy__", False):
        return None
    thread = threading.Thread(
        target=_import_quietly, args=(f"{PROVIDER_PACKAGE}._jsii",), name="jsii-warm-up", daemon=True
    )
    thread.start()
    return thread
