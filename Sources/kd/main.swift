import KDClient
print("kd: not yet implemented")
