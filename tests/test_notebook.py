"""The analyst notebook runs top to bottom on the shipped data, and is stored without outputs."""

from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_runs(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The last cell draws the map inline as HTML.
    last = nb.cells[-1].outputs[-1]
    assert "text/html" in last.get("data", {})


def test_notebook_uses_only_the_public_api():
    import ast

    import tianhe_geo

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tianhe_geo"):
                assert node.module == "tianhe_geo", node.module
                assert {a.name for a in node.names} <= set(tianhe_geo.__all__)
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "tianhe_geo":
                assert node.attr in tianhe_geo.__all__, node.attr
