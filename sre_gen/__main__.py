from sre_gen.cli import main

main()
