/// gdb's i386 register file as `org.gnu.gdb.i386.core` lays it out: the 16 integer and segment registers, then
/// the x87 stack and control registers. The target has no x87 state, so those are reported unavailable (`x`
/// digits in `g` and `p` replies), never invented.
public enum GDBI386Registers {
  public static let eax = 0, ecx = 1, edx = 2, ebx = 3, esp = 4, ebp = 5, esi = 6, edi = 7
  public static let eip = 8, eflags = 9, cs = 10, ss = 11, ds = 12, es = 13, fs = 14, gs = 15
  /// The 16 registers the target has, each 4 bytes.
  public static let integerCount = 16
  /// st0-st7 (10 bytes each), then fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop (4 bytes each).
  public static let x87Sizes = [Int](repeating: 10, count: 8) + [Int](repeating: 4, count: 8)
  public static var count: Int { integerCount + x87Sizes.count }

  /// Bytes of register `number`, nil past the last.
  public static func size(of number: Int) -> Int? {
    guard number >= 0 && number < count else { return nil }
    return number < integerCount ? 4 : x87Sizes[number - integerCount]
  }

  /// A `g` reply: the integer registers in order, then the x87 ones unavailable.
  public static func gPacket(_ integers: [UInt32]) -> String {
    precondition(integers.count == integerCount)
    var out = integers.map(GDBHex.register).joined()
    for size in x87Sizes { out += String(repeating: "x", count: 2 * size) }
    return out
  }

  /// The target description gdb asks for as `qXfer:features:read:target.xml`.
  public static let targetXML = """
    <?xml version="1.0"?>
    <!DOCTYPE target SYSTEM "gdb-target.dtd">
    <target version="1.0">
      <architecture>i386</architecture>
      <osabi>none</osabi>
      <feature name="org.gnu.gdb.i386.core">
        <flags id="i386_eflags" size="4">
          <field name="CF" start="0" end="0"/>
          <field name="" start="1" end="1"/>
          <field name="PF" start="2" end="2"/>
          <field name="AF" start="4" end="4"/>
          <field name="ZF" start="6" end="6"/>
          <field name="SF" start="7" end="7"/>
          <field name="TF" start="8" end="8"/>
          <field name="IF" start="9" end="9"/>
          <field name="DF" start="10" end="10"/>
          <field name="OF" start="11" end="11"/>
          <field name="NT" start="14" end="14"/>
          <field name="RF" start="16" end="16"/>
          <field name="VM" start="17" end="17"/>
          <field name="AC" start="18" end="18"/>
          <field name="VIF" start="19" end="19"/>
          <field name="VIP" start="20" end="20"/>
          <field name="ID" start="21" end="21"/>
        </flags>
        <reg name="eax" bitsize="32" type="int32" regnum="0"/>
        <reg name="ecx" bitsize="32" type="int32"/>
        <reg name="edx" bitsize="32" type="int32"/>
        <reg name="ebx" bitsize="32" type="int32"/>
        <reg name="esp" bitsize="32" type="data_ptr"/>
        <reg name="ebp" bitsize="32" type="data_ptr"/>
        <reg name="esi" bitsize="32" type="int32"/>
        <reg name="edi" bitsize="32" type="int32"/>
        <reg name="eip" bitsize="32" type="code_ptr"/>
        <reg name="eflags" bitsize="32" type="i386_eflags"/>
        <reg name="cs" bitsize="32" type="int32"/>
        <reg name="ss" bitsize="32" type="int32"/>
        <reg name="ds" bitsize="32" type="int32"/>
        <reg name="es" bitsize="32" type="int32"/>
        <reg name="fs" bitsize="32" type="int32"/>
        <reg name="gs" bitsize="32" type="int32"/>
        <reg name="st0" bitsize="80" type="i387_ext"/>
        <reg name="st1" bitsize="80" type="i387_ext"/>
        <reg name="st2" bitsize="80" type="i387_ext"/>
        <reg name="st3" bitsize="80" type="i387_ext"/>
        <reg name="st4" bitsize="80" type="i387_ext"/>
        <reg name="st5" bitsize="80" type="i387_ext"/>
        <reg name="st6" bitsize="80" type="i387_ext"/>
        <reg name="st7" bitsize="80" type="i387_ext"/>
        <reg name="fctrl" bitsize="32" type="int" group="float"/>
        <reg name="fstat" bitsize="32" type="int" group="float"/>
        <reg name="ftag" bitsize="32" type="int" group="float"/>
        <reg name="fiseg" bitsize="32" type="int" group="float"/>
        <reg name="fioff" bitsize="32" type="int" group="float"/>
        <reg name="foseg" bitsize="32" type="int" group="float"/>
        <reg name="fooff" bitsize="32" type="int" group="float"/>
        <reg name="fop" bitsize="32" type="int" group="float"/>
      </feature>
    </target>

    """
}
