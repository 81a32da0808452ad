"""claw_tui.mcp stays on the engine side and cheap to import: no UI, and the SDK only when used."""

from __future__ import annotations

import subprocess
import sys


def test_importing_claw_tui_mcp_loads_no_ui_and_no_sdk():
    code = (
        "import sys, claw_tui.mcp\n"
        "roots = {m.split('.')[0] for m in sys.modules} | {m for m in sys.modules if m.startswith('claw_tui.ui')}\n"
        "print(','.join(sorted(roots & {'textual', 'rich', 'mcp', 'mcp_types', 'httpx2', 'websockets'}"
        " | {m for m in roots if m.startswith('claw_tui.ui')})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
