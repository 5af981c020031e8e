print("reliability")
