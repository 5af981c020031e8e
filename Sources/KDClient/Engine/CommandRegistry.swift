/// Every command the debugger knows, shared by the console, `-c`, scripts and the Swift API.
enum CommandRegistry {
  static let commands: [any Command.Type] = [
    Evaluate.self, Formats.self, DisplayMemory.self, DisplayPointers.self, EnterValues.self, SearchMemory.self,
    Reload.self, ListModules.self, Examine.self, ListNearest.self,
    StackTrace.self, RawStack.self, FrameScope.self, KFrames.self, Registers.self, Unassemble.self,
    UnassembleBackward.self,
    BreakpointSet.self, BreakpointUnresolved.self, BreakpointPattern.self, BreakpointAccess.self, BreakpointList.self,
    BreakpointClear.self, BreakpointEnable.self,
    Go.self, GoUp.self, WatchTrace.self, Step.self, StepToCall.self, ProcessorSwitch.self, RunFor.self, LastEvent.self,
    BreakpointCommands.self, Time.self, SymbolPath.self,
    PoolUsed.self, PoolFind.self, PoolPage.self, PoolValidate.self, GlobalFlag.self, PoolMonCommand.self,
    PoolSites.self, TagSplitCommand.self, PoolTrace.self, PoolScanCommand.self, Analyze.self, VerifierCommand.self,
    VerifierSettingsCommand.self, UnloadDriverCommand.self,
    VersionTarget.self, Log.self, RunScript.self, Reboot.self, Quit.self, Help.self,
    ClearScreen.self,
    Echo.self, Printf.self, ControlFlowTokens.self,
  ]

  static func command(for word: String) -> (any Command.Type)? {
    commands.first { $0.matches(word) }
  }
}
