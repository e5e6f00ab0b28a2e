import Testing
@testable import Kernel

@Suite("Numbers")
struct NumbersTests {
    @Test("strict integers parse like Redis's string2ll",
          arguments: [("0", Int64(0)), ("-1", -1), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("42", 42)])
    func validIntegers(text: String, value: Int64) {
        #expect(Numbers.parseInt64(RBytes(text)) == value)
    }

    @Test("non-canonical integers are rejected",
          arguments: ["", " 1", "1 ", "+1", "01", "-0", "9223372036854775808", "-9223372036854775809", "1a", "-", "1.0"])
    func invalidIntegers(text: String) {
        #expect(Numbers.parseInt64(RBytes(text)) == nil)
    }

    @Test("integers format in decimal", arguments: [Int64(0), 7, -7, 1234567890, Int64.max, Int64.min])
    func formatting(v: Int64) {
        #expect(Numbers.format(v).string == String(v))
    }

    @Test("INCRBYFLOAT results print without trailing zeros",
          arguments: [("10.6", "10.6"), ("5000", "5000"), ("3.0e3", "3000"), ("-0.0", "0"), ("0.1", "0.1")])
    func humanLongDouble(input: String, expected: String) {
        let v = Numbers.parseLongDouble(RBytes(input))!
        #expect(Numbers.formatHuman(v).string == expected)
    }

    @Test("floats with spaces, NaN or garbage are rejected", arguments: [" 1.5", "1.5 ", "nan", "abc", ""])
    func invalidFloats(text: String) {
        #expect(Numbers.parseLongDouble(RBytes(text)) == nil)
        #expect(Numbers.parseDouble(RBytes(text)) == nil)
    }

    @Test("doubles reply in %.17g form")
    func doubleReplies() {
        #expect(Numbers.formatDouble(1.5).string == "1.5")
        #expect(Numbers.formatDouble(1.1).string == "1.1000000000000001")
        #expect(Numbers.formatDouble(.infinity).string == "inf")
        #expect(Numbers.formatDouble(-.infinity).string == "-inf")
    }
}
