/// Every command the debugger knows, shared by the console, `-c`, scripts and the Swift API.
enum CommandRegistry {
  static let commands: [any Command.Type] = [
    Evaluate.self, Formats.self, DisplayMemory.self, EnterValues.self, SearchMemory.self,
    Reload.self, ListModules.self, Examine.self, ListNearest.self,
    StackTrace.self, Registers.self, Unassemble.self,
    BreakpointSet.self, BreakpointList.self, BreakpointClear.self, BreakpointEnable.self,
    Go.self, Step.self, RunFor.self,
    PoolUsed.self, PoolFind.self, PoolPage.self, GlobalFlag.self, PoolMonCommand.self,
    VersionTarget.self, Log.self, RunScript.self, Reboot.self, Quit.self, Help.self,
    ClearScreen.self,
  ]

  static func command(for word: String) -> (any Command.Type)? {
    commands.first { $0.matches(word) }
  }
}
