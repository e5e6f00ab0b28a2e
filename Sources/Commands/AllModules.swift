import Kernel

/// The built-in command families, in registration order.
public enum BuiltinModules {
    public static var all: [CommandModule] {
        [
            ConnectionCommands(),
            StringCommands(),
            KeysCommands(),
            ListCommands(),
            HashCommands(),
            SetCommands(),
            TransactionCommands(),
            PubSubCommands(),
            ServerCommands(),
            ConfigCommands(),
            ClientCommands(),
        ]
    }
}
