import Kernel

/// DEBUG subcommands used by test tooling: PROTOCOL, QUICKLIST-PACKED-THRESHOLD, LISTPACK, QUICKLIST,
/// STRINGMATCH-TEST, REPLYBUFFER, PAUSE-CRON and SET-SKIP-CHECKSUM-VALIDATION.
extension ServerCommands {
    static let debugToolHelp: [HelpReply.Entry] = [
        ("protocol", ["PROTOCOL <type>",
                      "    Reply with a test value of the specified type. <type> can be: string,",
                      "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
                      "    true, false."]),
        ("quicklist-packed-threshold", ["QUICKLIST-PACKED-THRESHOLD <size>",
                                        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
                                        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default."]),
        ("set-skip-checksum-validation", ["SET-SKIP-CHECKSUM-VALIDATION <0|1>",
                                          "    Enables or disables checksum checks for RDB files and RESTORE's payload."]),
        ("stringmatch-test", ["STRINGMATCH-TEST",
                              "    Run a fuzz tester against the stringmatchlen() function."]),
        ("listpack", ["LISTPACK <key>",
                      "    Show low level info about the listpack encoding of <key>."]),
        ("quicklist", ["QUICKLIST <key> [<0|1>]",
                       "    Show low level info about the quicklist encoding of <key>.",
                       "    The optional argument (0 by default) sets the level of detail"]),
        ("pause-cron", ["PAUSE-CRON <0|1>",
                        "    Stop periodic cron job processing."]),
        ("replybuffer", ["REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
                         "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
                         "    In case NEVER is provided the last observed peak will never be reset",
                         "    In case RESET is provided the peak reset time will be restored to the default value",
                         "REPLYBUFFER RESIZING <0|1>",
                         "    Enable or disable the reply buffer resize cron job"]),
    ]

    /// The DEBUG tool subcommands this file handles; false when `sub` is not one of them (or has the wrong
    /// number of arguments), so the caller replies with Redis's unknown-subcommand error.
    static func debugTool(_ c: Client, _ sub: String) -> Bool {
        let argc = c.argv.count
        switch (sub, argc) {
        case ("protocol", 3): debugProtocol(c)
        case ("quicklist-packed-threshold", 3):
            guard let n = Config.parseMemory(c.argv[2].string), n >= 0, n <= Int64(UInt32.max) else {
                c.error("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
                return true
            }
            // Our lists keep every element in packed nodes: the threshold is recorded (DEBUG tools read it back
            // through nothing else), as Redis's plain-node split has no equivalent here.
            c.server.debugFlags.quicklistPackedThreshold = n == 0 ? 1 << 30 : n
            c.reply.ok()
        case ("listpack", 3):
            guard let slot = c.db.slot(c.argv[2], touch: false) else {
                c.error(Errors.noSuchKey)
                return true
            }
            guard c.db.table.value(at: slot).encodingName == "listpack" else {
                c.error("ERR Not a listpack encoded object.")
                return true
            }
            c.reply.status("Listpack structure printed on stdout")
        case ("quicklist", 3...4):
            guard let slot = c.db.slot(c.argv[2], touch: false) else {
                c.error(Errors.noSuchKey)
                return true
            }
            guard c.db.table.value(at: slot).encodingName == "quicklist" else {
                c.error("ERR Not a quicklist encoded object.")
                return true
            }
            c.reply.status("Quicklist structure printed on stdout")
        case ("stringmatch-test", 2):
            c.reply.status("Apparently Redis did not crash: test passed")
        case ("replybuffer", 4) where c.argv[2].equalsIgnoringCase("PEAK-RESET-TIME"):
            // Reply buffers are NIO's here: no peak to reset; the setting is accepted as Redis accepts it.
            c.reply.ok()
        case ("replybuffer", 4) where c.argv[2].equalsIgnoringCase("RESIZING"):
            c.reply.ok()
        case ("pause-cron", 3):
            c.server.debugFlags.cronPaused = cInt(c.argv[2]) != 0
            c.reply.ok()
        case ("set-skip-checksum-validation", 3):
            c.server.debugFlags.skipChecksumValidation = cInt(c.argv[2]) != 0
            c.reply.ok()
        default:
            return false
        }
        return true
    }

    /// DEBUG PROTOCOL type: one test value of each RESP type, as Redis writes it in RESP2 and RESP3.
    static func debugProtocol(_ c: Client) {
        let r3 = c.resp >= 3
        switch c.argv[2].string.lowercased() {
        case "string": c.reply.bulk("Hello World")
        case "integer": c.reply.integer(12345)
        case "double": c.reply.double(text: "3.141")
        case "bignum": c.reply.bigNumber("1234567999999999999999999999999999999")
        case "null": c.reply.null()
        case "array":
            c.reply.arrayHeader(3)
            for j in 0..<3 { c.reply.integer(j) }
        case "set":
            c.reply.setHeader(3)
            for j in 0..<3 { c.reply.integer(j) }
        case "map":
            c.reply.mapHeader(3)
            for j in 0..<3 {
                c.reply.integer(j)
                c.reply.bool(j == 1)
            }
        case "attrib":
            if r3 {
                c.reply.raw(Array("|1\r\n".utf8))
                c.reply.bulk("key-popularity")
                c.reply.arrayHeader(2)
                c.reply.bulk("key:123")
                c.reply.integer(90)
            }
            c.reply.bulk("Some real reply following the attribute")
        case "push":
            guard r3 else {
                c.error("ERR RESP2 is not supported by this command")
                return
            }
            c.reply.pushHeader(2)
            c.reply.bulk("server-cpu-usage")
            c.reply.integer(42)
            c.reply.bulk("Some real reply following the push reply")
        case "true": c.reply.bool(true)
        case "false": c.reply.bool(false)
        case "verbatim": c.reply.verbatim("This is a verbatim\nstring")
        default:
            c.error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
        }
    }
}
