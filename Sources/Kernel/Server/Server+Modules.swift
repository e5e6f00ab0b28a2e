/// Registration of command families after start (modules loaded at run time, MODULE UNLOAD).
extension Server {
    /// Adds a family's commands to the running server through the same checks as the built-ins at start. Users
    /// whose selectors were given `+@all` are allowed the new commands (as Redis grants module commands to
    /// `allcommands` selectors). Call with the lock held.
    public func registerFamily(_ module: CommandModule) throws(RegistrationError) {
        let added = try commands.register(module)
        for user in acl.users.values {
            var state = user.state
            var changed = false
            if state.root.futureCommands {
                for cmd in added { state.root.set(cmd.id, true) }
                changed = true
            }
            for i in state.selectors.indices where state.selectors[i].futureCommands {
                for cmd in added { state.selectors[i].set(cmd.id, true) }
                changed = true
            }
            if changed {
                user.state = state
                user.refresh()
            }
        }
    }

    /// Removes a family's commands (MODULE UNLOAD): they answer `unknown command` from now on, also to clients
    /// and scripts that cached their lookup, and commands queued in a MULTI that still hold them are refused at
    /// EXEC. Returns how many commands and subcommands were removed. Call with the lock held.
    @discardableResult
    public func unregisterFamily(_ family: String) -> Int {
        commands.unregister(family: family).count
    }
}
