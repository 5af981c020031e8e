extension Machine {
  /// KeBugCheckEx(Code, P1..P4): records KiBugCheckData; the stub's `int 3` that follows stops the
  /// target for good.
  func bugCheck() {
    recordBugCheck(code: arg(0), parameters: [arg(1), arg(2), arg(3), arg(4)])
  }
}
