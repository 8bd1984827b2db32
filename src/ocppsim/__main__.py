from ocppsim.cli import main

main()
