import KDProtocol
