import Testing
@testable import Kernel

@Suite("HashObject")
struct HashObjectTests {
    @Test("a listpack hash keeps insertion order; an update keeps the field's place")
    func listpackOrder() {
        let h = HashObject()
        #expect(h.set("b", "1", maxEntries: 8, maxValue: 8))
        #expect(h.set("a", "2", maxEntries: 8, maxValue: 8))
        #expect(!h.set("b", "3", maxEntries: 8, maxValue: 8))
        #expect(h.remove("a"))
        #expect(h.set("a", "4", maxEntries: 8, maxValue: 8))
        var order: [RBytes] = []
        h.forEach { f, _ in order.append(f) }
        #expect(order == ["b", "a"])
        #expect(h.get("b") == "3")
        #expect(h.encodingName == "listpack")
    }

    @Test("converts once entries exceed the threshold, and never back")
    func convertsOnEntries() {
        let h = HashObject()
        for i in 0..<3 { h.set(RBytes("f\(i)"), "v", maxEntries: 3, maxValue: 64) }
        #expect(h.isListpack)
        h.set("f3", "v", maxEntries: 3, maxValue: 64)
        #expect(!h.isListpack)
        for i in 0..<4 { h.remove(RBytes("f\(i)")) }
        #expect(h.count == 0 && h.encodingName == "hashtable")
    }

    @Test("an update converts too when the hash is over a (lowered) entries threshold")
    func updateChecksEntries() {
        let h = HashObject()
        for i in 0..<3 { h.set(RBytes("f\(i)"), "v", maxEntries: 8, maxValue: 64) }
        #expect(!h.set("f0", "w", maxEntries: 2, maxValue: 64))
        #expect(!h.isListpack && h.count == 3)
    }

    @Test("a field or value longer than the value threshold converts, even on update")
    func convertsOnLength() {
        let h = HashObject()
        h.set("f", "12345678", maxEntries: 128, maxValue: 8)
        #expect(h.isListpack)
        h.set("f", "123456789", maxEntries: 128, maxValue: 8)
        #expect(!h.isListpack && h.get("f") == "123456789")
    }

    @Test("distinct random pairs of a listpack come in storage order")
    func randomDistinctInOrder() {
        let h = HashObject()
        for i in 0..<50 { h.set(RBytes("f\(i)"), "v", maxEntries: 128, maxValue: 64) }
        for n in [1, 10, 49] {
            let picked = h.randomDistinctPairs(n).map { Int($0.field.string.dropFirst())! }
            #expect(picked.count == n && picked == picked.sorted())
        }
    }

    @Test("a copy is independent")
    func copyIsDeep() {
        let h = HashObject()
        h.set("a", "1", maxEntries: 1, maxValue: 64)
        h.set("b", "2", maxEntries: 1, maxValue: 64)
        let c = h.copy() as! HashObject
        c.set("a", "9", maxEntries: 1, maxValue: 64)
        #expect(h.get("a") == "1" && c.get("a") == "9")
    }
}

@Suite("SetObject")
struct SetObjectTests {
    @Test("an intset holds canonical integers in ascending order")
    func intsetOrder() {
        let s = SetObject()
        for m: RBytes in ["5", "-3", "9223372036854775807", "-9223372036854775808", "0", "5"] {
            s.add(m, maxIntsetEntries: 512)
        }
        #expect(s.isIntset && s.count == 5)
        #expect(s.members == ["-9223372036854775808", "-3", "0", "5", "9223372036854775807"])
        #expect(s.contains("-3") && !s.contains("-03") && !s.contains("x"))
    }

    @Test("non-canonical integers and strings convert to a hashtable", arguments: ["01", "+1", " 1", "-0", "1.0", "a", ""])
    func nonIntegerConverts(member: String) {
        let s = SetObject()
        s.add("1", maxIntsetEntries: 512)
        #expect(s.add(RBytes(member), maxIntsetEntries: 512))
        #expect(!s.isIntset && s.contains(RBytes(member)) && s.contains("1"))
    }

    @Test("converts once entries exceed the threshold")
    func convertsOnEntries() {
        let s = SetObject()
        for i in 0..<4 { s.add(RBytes("\(i)"), maxIntsetEntries: 4) }
        #expect(s.isIntset)
        s.add("4", maxIntsetEntries: 4)
        #expect(!s.isIntset && s.count == 5)
    }

    @Test("pops and distinct picks return members without repeats")
    func randomMembers() {
        for encoding in ["intset", "hashtable"] {
            let s = SetObject()
            for i in 0..<100 { s.add(RBytes(encoding == "intset" ? "\(i)" : "m\(i)"), maxIntsetEntries: 512) }
            #expect(s.encodingName == encoding)
            for n in [1, 20, 40, 99] {
                let picked = s.randomDistinctMembers(n)
                #expect(Set(picked).count == n && picked.allSatisfy(s.contains))
            }
            var popped = Set<RBytes>()
            while s.count > 0 { popped.insert(s.popRandom()) }
            #expect(popped.count == 100)
        }
    }
}
