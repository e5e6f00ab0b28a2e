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
}
