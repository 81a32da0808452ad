from claw_tui.cli import main

main()
