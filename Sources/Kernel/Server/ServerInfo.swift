/// Identity strings the server reports (INFO, HELLO, --version).
public enum ServerInfo {
    /// The Redis version we are compatible with and report to clients.
    public static let redisVersion = "7.0.15"
    /// This implementation's own version.
    public static let version = "0.1.0"
}
