import KDServer

KDServerCommand.main()
