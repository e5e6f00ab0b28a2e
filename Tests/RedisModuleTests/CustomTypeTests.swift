import Testing
@testable import Kernel
import RedisModule

/// A tiny module value for the tests: a list of integers (kernel names: `@testable import Kernel` also sees the
/// kernel's internal `ModuleValue` opcode table, which would make the API's typealias ambiguous here).
private final class Numbers64: CustomValue {
    var items: [Int64]
    init(_ items: [Int64]) { self.items = items }
    func duplicate() -> CustomValue { Numbers64(items) }
    var memoryUsage: Int { 16 + items.count * 8 }
    func save(to io: inout CustomValueWriter) {
        io.saveUnsigned(UInt64(items.count))
        for v in items { io.saveSigned(v) }
        io.saveDouble(1.5)
        io.saveFloat(2.5)
        io.saveString(Array("tail".utf8))
    }
    func rewrite(key: RBytes, into aof: inout CustomValueRewriter) {
        aof.emit(["N.PUSH", key] + items.map { RBytes(String($0)) })
    }
    func digest(into d: inout CustomValueDigest) {
        for v in items { d.add(v) }
        d.endSequence()
    }
}

private let numbersType = ModuleDataType(name: "numbers-1", encodingVersion: 3) { io, encver in
    guard encver == 3 else { throw ModuleError("bad version") }
    let n = try io.loadUnsigned()
    guard n < 1000 else { throw ModuleError("too many") }
    var items: [Int64] = []
    for _ in 0..<n { items.append(try io.loadSigned()) }
    guard try io.loadDouble() == 1.5, try io.loadFloat() == 2.5, try io.loadString() == Array("tail".utf8) else {
        throw ModuleError("bad tail")
    }
    return Numbers64(items)
}

@Suite("Custom data types")
struct CustomTypeTests {
    @Test func moduleIdPacksTheNameAndVersionAsRedis() {
        // "A" is 0 in the charset, "_" 63: a name of nine 'A's is 0 in the top 54 bits.
        #expect(CustomValueType.encodeID(name: "AAAAAAAAA", encodingVersion: 5) == 5)
        #expect(CustomValueType.encodeID(name: "AAAAAAAAB", encodingVersion: 0) == 1 << 10)
        #expect(CustomValueType.encodeID(name: "_________", encodingVersion: 1023) == UInt64.max)
        let id = CustomValueType.encodeID(name: "MBbloom--", encodingVersion: 4)!
        #expect(CustomValueType.name(ofID: id) == "MBbloom--")
        #expect(id & 1023 == 4)
    }

    @Test func badNamesAndVersionsAreRefused() {
        #expect(CustomValueType.encodeID(name: "short", encodingVersion: 0) == nil)
        #expect(CustomValueType.encodeID(name: "ten-chars!", encodingVersion: 0) == nil)
        #expect(CustomValueType.encodeID(name: "has space", encodingVersion: 0) == nil)
        #expect(CustomValueType.encodeID(name: "numbers-1", encodingVersion: 1024) == nil)
        #expect(!ModuleDataType(name: "bad", encodingVersion: 0, load: numbersType.load).isValid)
    }

    @Test func dumpPayloadRoundTripsThroughTheTypeCallbacks() throws {
        CustomTypeRegistry.register(numbersType)
        let value = Value.object(CustomObject(numbersType, Numbers64([1, -2, 300])))
        let payload = DumpPayload.make(value, compression: false)
        #expect(payload[0] == RDBFormat.ValueType.module2)
        let back = try DumpPayload.parse(payload, thresholds: .defaults)
        guard case .object(let o) = back, let c = o as? CustomObject, let n = c.value as? Numbers64 else {
            Issue.record("not a custom object")
            return
        }
        #expect(n.items == [1, -2, 300])
        #expect(DatasetDigest.of(value: back) == DatasetDigest.of(value: value))
    }

    @Test func aTruncatedOrMismatchedPayloadIsRefused() {
        CustomTypeRegistry.register(numbersType)
        let value = Value.object(CustomObject(numbersType, Numbers64([7, 8])))
        var e = RDBEncoder(compression: false)
        e.writeValue(value)
        let body = e.takeBytes()
        // Every truncation fails cleanly (no crash), with a DUMP-style error.
        for cut in 1..<body.count {
            let bytes = Array(body[0..<cut])
            #expect(throws: (any Error).self) {
                try bytes.withUnsafeBytes { p in
                    var r = RDBReader(p)
                    _ = try RDBValueReader.read(type: try r.u8(), from: &r, thresholds: .defaults)
                }
            }
        }
    }

    @Test func anUnknownTypeIsRefusedWithRedisText() {
        let id = CustomValueType.encodeID(name: "nosuch-01", encodingVersion: 1)!
        var e = RDBEncoder(compression: false)
        e.writeLength(id)
        let bytes = e.takeBytes()
        do {
            try bytes.withUnsafeBytes { p in
                var r = RDBReader(p)
                _ = try RDBValueReader.read(type: RDBFormat.ValueType.module2, from: &r, thresholds: .defaults)
            }
            Issue.record("loaded an unknown type")
        } catch let e as RDBError {
            #expect(e.message == "The RDB file contains module data I can't load: no matching module type 'nosuch-01'")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func copyIsDeep() {
        let original = CustomObject(numbersType, Numbers64([1]))
        let copy = original.copy() as! CustomObject
        (copy.value as! Numbers64).items.append(2)
        #expect((original.value as! Numbers64).items == [1])
        #expect(copy.typeName == "numbers-1")
        #expect(copy.encodingName == "raw")
    }

    @Test func digestDependsOnContent() {
        let a = Value.object(CustomObject(numbersType, Numbers64([1, 2])))
        let b = Value.object(CustomObject(numbersType, Numbers64([2, 1])))
        #expect(DatasetDigest.of(value: a) != DatasetDigest.of(value: b))
    }

    @Test func rewriteEmitsTheTypesCommands() {
        var out: [UInt8] = []
        AOFRewriter.emit(key: "k", value: .object(CustomObject(numbersType, Numbers64([5]))), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "*3\r\n$6\r\nN.PUSH\r\n$1\r\nk\r\n$1\r\n5\r\n")
    }

    @Test func registrationRefusesAnInvalidOrDuplicateType() {
        struct M: ModuleDefinition {
            var name = "m"
            var version = 1
            var commands: [ModuleCommand] = []
            var types: [ModuleDataType]
        }
        #expect(throws: RegistrationError.self) {
            _ = try ModuleFamily(M(types: [ModuleDataType(name: "toolongname", encodingVersion: 1, load: numbersType.load)]))
        }
        #expect(throws: RegistrationError.self) { _ = try ModuleFamily(M(types: [numbersType, numbersType])) }
        #expect(throws: Never.self) { _ = try ModuleFamily(M(types: [numbersType])) }
    }
}
