from medgraph.cli import main

main()
