import KDServer
print("kdserver: not yet implemented")
