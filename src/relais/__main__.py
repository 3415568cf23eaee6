from relais.server.command import main

main()
