import Kernel

/// The built-in command families, in registration order.
public enum BuiltinModules {
    public static var all: [CommandModule] {
        [
            ConnectionCommands(),
            StringCommands(),
            BitmapCommands(),
            HyperLogLogCommands(),
            KeysCommands(),
            SortCommands(),
            ListCommands(),
            HashCommands(),
            SetCommands(),
            SortedSetCommands(),
            StreamCommands(),
            GeoCommands(),
            TransactionCommands(),
            PubSubCommands(),
            ServerCommands(),
            ObservabilityCommands(),
            MemoryCommands(),
            LolwutCommand(),
            RDBCommands(),
            AOFCommands(),
            ConfigCommands(),
            ClientCommands(),
            ACLCommands(),
            ClusterCommands(),
        ]
    }
}
