from wardeye.cli import main

main()
