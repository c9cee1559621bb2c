"""The package's layering, checked on the source: lower layers never import upper ones, the engine and utils
name no task, imports sit at module level, and every module imports on its own (no cycles)."""
import ast
import os
import subprocess
import sys

import pytest

from ppocr.testing import REPO_ROOT

PKG = os.path.join(REPO_ROOT, "ppocr")
#: layers that sit below the engine and the task workflows
LOWER = ("data", "modeling", "postprocess", "losses", "metrics", "optimizer", "utils")
#: a task package's modules that run a workflow on top of the engine (the rest of it are leaves)
WORKFLOWS = {"ppocr.kie.task", "ppocr.kie.infer", "ppocr.kie.predictor", "ppocr.kie.pipeline",
             "ppocr.vgsl.task", "ppocr.vgsl.finetune", "ppocr.vgsl.convert"}


def _modules():
    for root, _, files in os.walk(PKG):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(root, f)
                rel = os.path.relpath(path, REPO_ROOT)[:-3].replace(os.sep, ".")
                yield (rel[:-len(".__init__")] if rel.endswith(".__init__") else rel), path


def _imports(path):
    """``(module imported, at module level?)`` for each ``ppocr`` import in the file."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ppocr"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            out += [(n, id(node) in top) for n in names]
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names if a.name.startswith("ppocr")]
    return out


MODULES = list(_modules())


@pytest.mark.parametrize("name,path", MODULES, ids=[m for m, _ in MODULES])
def test_layers_point_down(name, path):
    layer = name.split(".")[1] if name.count(".") else ""
    for imported, at_top in _imports(path):
        assert at_top, f"{name} imports {imported} inside a function; import it at module level"
        if layer in LOWER:
            assert not imported.startswith("ppocr.engine"), f"{name} ({layer}/) imports the engine ({imported})"
            assert not any(imported.startswith(w) for w in WORKFLOWS), f"{name} imports a task workflow {imported}"
        if layer in ("engine", "utils"):
            assert not imported.startswith(("ppocr.kie", "ppocr.vgsl")), f"{name} names a task ({imported})"


def test_every_module_imports_first_on_its_own():
    """Each module imported as the first one of the package (fresh ppocr modules, paddle kept), so an import
    cycle that only bites in some import order shows."""
    names = [m for m, _ in MODULES if not m.startswith("ppocr.testing")]
    code = ("import importlib, sys\nimport paddle\nbad = []\n"
            f"for name in {names!r}:\n"
            "    for m in [m for m in sys.modules if m == 'ppocr' or m.startswith('ppocr.')]:\n"
            "        del sys.modules[m]\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as e:\n"
            "        bad.append(f'{name}: {type(e).__name__}: {e}')\n"
            "print('\\n'.join(bad))\nsys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
