extension Server {
    /// Why a `protected` command (DEBUG, MODULE LOAD/LOADEX/UNLOAD) is refused to this connection, or nil when its
    /// directive allows it: `yes`, or `local` from a loopback address or the Unix socket (Redis's
    /// allowProtectedAction). Checked before authentication and ACL, as Redis's processCommand does.
    func protectedRefusal(_ c: Client, _ cmd: Command) -> String? {
        let isModule = cmd.fullName.hasPrefix("module")
        let setting = isModule ? config.enableModuleCommand : config.enableDebugCommand
        if Server.allowsProtected(setting, c) { return nil }
        let (word, option) = isModule ? ("MODULE", "enable-module-command") : ("DEBUG", "enable-debug-command")
        return "ERR \(word) command not allowed. If the \(option) option is set to \"local\", you can run it from a "
            + "local connection, otherwise you need to set this option in the configuration file, and then restart "
            + "the server."
    }

    /// Whether an `enable-*-command` setting (`yes`, `no`, `local`) lets `c` run a protected command. Internal
    /// clients (no connection) are local.
    public static func allowsProtected(_ setting: String, _ c: Client) -> Bool {
        switch setting {
        case "yes": return true
        case "local":
            guard c.isConnection else { return true }
            if !c.server.config.unixsocket.isEmpty && c.address == c.server.config.unixsocket + ":0" { return true }
            return c.address.hasPrefix("127.0.0.1:") || c.address.hasPrefix("[::1]:")
        default: return false
        }
    }

    /// The answer to a connection from a non-loopback address while protected mode is on and the default user has
    /// no password (Redis's networking.c), sent before closing it.
    static let protectedModeError = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
}
