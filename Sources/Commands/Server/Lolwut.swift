import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// LOLWUT [VERSION v] [args...]: Redis 7.0 prints just its version unless VERSION 5 or 6 asks for the art of
/// those releases — 5: Georg Nees's "schotter" (squares more and more rotated and displaced row after row) drawn
/// on a braille canvas; 6: a random city skyline in ANSI colours. Both are random below their first rows, as in
/// Redis; the canvas sizes, glyph encoding, colours and captions are Redis's.
public struct LolwutCommand: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        [CommandSpec("lolwut", arity: -1, flags: [.readonly, .fast],
                     summary: "Displays computer art and the Redis version", since: "5.0.0", handler: Self.lolwut)]
    }

    static func lolwut(_ c: Client) {
        var version: Int64 = 7
        var args = Array(c.argv.dropFirst())
        if args.count >= 2 && args[0].equalsIgnoringCase("VERSION") {
            guard let v = Numbers.parseInt64(args[1]) else {
                c.error(Errors.notInteger)
                return
            }
            version = v
            args.removeFirst(2)
        }
        var numbers: [Int64] = []
        if version == 5 || version == 6 {
            for a in args.prefix(version == 5 ? 3 : 2) {
                guard let n = Numbers.parseInt64(a) else {
                    c.error(Errors.notInteger)
                    return
                }
                numbers.append(n)
            }
        }
        let tail = "Redis ver. \(ServerInfo.redisVersion)\n"
        switch version {
        case 5:
            let cols = clamp(numbers.count > 0 ? numbers[0] : 66, 1, 1000)
            let perRow = clamp(numbers.count > 1 ? numbers[1] : 8, 1, 200)
            let perCol = clamp(numbers.count > 2 ? numbers[2] : 12, 1, 200)
            let canvas = schotter(cols: cols, squaresPerRow: perRow, squaresPerCol: perCol)
            c.reply.verbatim(canvas.braille() + "\nGeorg Nees - schotter, plotter on paper, 1968. " + tail)
        case 6:
            let cols = clamp(numbers.count > 0 ? numbers[0] : 80, 1, 1000)
            let rows = clamp(numbers.count > 1 ? numbers[1] : 20, 1, 1000)
            var canvas = Canvas(width: cols, height: rows, fill: 3)
            skyline(&canvas)
            c.reply.verbatim(canvas.ansi() + "\nDedicated to the 8 bit game developers of past and present.\n"
                             + "Original 8 bit image from Plaguemon by hikikomori. " + tail)
        default:
            c.reply.verbatim(tail)
        }
    }

    static func clamp(_ v: Int64, _ lo: Int, _ hi: Int) -> Int { Int(min(max(v, Int64(lo)), Int64(hi))) }

    /// A pixel canvas (colours 0...3).
    struct Canvas {
        let width: Int
        let height: Int
        var pixels: [UInt8]

        init(width: Int, height: Int, fill: UInt8 = 0) {
            self.width = width
            self.height = height
            pixels = [UInt8](repeating: fill, count: width * height)
        }

        mutating func set(_ x: Int, _ y: Int, _ color: UInt8) {
            guard x >= 0 && x < width && y >= 0 && y < height else { return }
            pixels[y * width + x] = color
        }

        func get(_ x: Int, _ y: Int) -> UInt8 {
            guard x >= 0 && x < width && y >= 0 && y < height else { return 0 }
            return pixels[y * width + x]
        }

        /// Bresenham's line, both ends included.
        mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
            var x = x0, y = y0
            let dx = abs(x1 - x0), dy = abs(y1 - y0)
            let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
            var err = dx - dy
            while true {
                set(x, y, 1)
                if x == x1 && y == y1 { break }
                let e2 = err * 2
                if e2 > -dy { err -= dy; x += sx }
                if e2 < dx { err += dx; y += sy }
            }
        }

        /// A square of side `side` centred on (x, y), rotated by `angle`: its corners lie on the circle of
        /// radius side/√2, computed in single precision as Redis does.
        mutating func square(_ x: Int, _ y: Int, side: Float, angle: Float) {
            let size = Float(Double(side) / 1.4142135623)
            let radius = Float(Double(size).rounded())
            var k = Float(Double.pi / 4 + Double(angle))
            var px = [Int](repeating: 0, count: 4), py = [Int](repeating: 0, count: 4)
            for j in 0..<4 {
                px[j] = Int((sin(Double(k)) * Double(radius) + Double(x)).rounded())
                py[j] = Int((cos(Double(k)) * Double(radius) + Double(y)).rounded())
                k = Float(Double(k) + Double.pi / 2)
            }
            for j in 0..<4 { line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4]) }
        }

        /// Braille rendering: each character covers 2×4 pixels (U+2800 plus the dot bits).
        func braille() -> String {
            var out: [UInt8] = []
            var y = 0
            while y < height {
                var x = 0
                while x < width {
                    var bits = 0
                    let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
                    for (bit, d) in dots.enumerated() where get(x + d.0, y + d.1) != 0 { bits |= 1 << bit }
                    let code = 0x2800 + bits
                    out.append(UInt8(0xE0 | (code >> 12)))
                    out.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
                    out.append(UInt8(0x80 | (code & 0x3F)))
                    x += 2
                }
                if y != height - 1 { out.append(10) }
                y += 4
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// ANSI rendering: one coloured space per pixel (black, dark grey, grey, white).
        func ansi() -> String {
            let codes = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"]
            var out = ""
            for y in 0..<height {
                for x in 0..<width { out += "\u{1B}[\(codes[Int(get(x, y) & 3)]) \u{1B}[0m" }
                if y != height - 1 { out += "\n" }
            }
            return out
        }
    }

    /// Rows of squares; from the third row on each square is rotated and moved by a random amount that grows
    /// with the row.
    static func schotter(cols: Int, squaresPerRow: Int, squaresPerCol: Int) -> Canvas {
        let width = cols * 2
        let padding = width > 4 ? 2 : 0
        let side = Float(width - padding * 2) / Float(squaresPerRow)
        let height = Int(side * Float(squaresPerCol)) + padding * 2
        var canvas = Canvas(width: width, height: height)
        for y in 0..<squaresPerCol {
            for x in 0..<squaresPerRow {
                var sx = Int(Float(x) * side + side / 2 + Float(padding))
                var sy = Int(Float(y) * side + side / 2 + Float(padding))
                var angle: Float = 0
                if y > 1 {
                    let scale = Float(y) / Float(squaresPerCol)
                    func jitter() -> Float { Float.random(in: 0...1) * scale * (Bool.random() ? -1 : 1) }
                    angle = jitter()
                    sx += Int(jitter() * side / 3)
                    sy += Int(jitter() * side / 3)
                }
                canvas.square(sx, sy, side: side, angle: angle)
            }
        }
        return canvas
    }

    /// A skyline on a white sky: two rows of plain buildings (grey behind, dark grey in front), then black
    /// buildings with lit windows in the foreground.
    static func skyline(_ canvas: inout Canvas) {
        let h = canvas.height
        for (color, spacing) in [(UInt8(2), 0.5), (UInt8(1), 1.0)] {
            var x = -10
            while x < canvas.width {
                x += Int.random(in: 0..<8)
                let w = Int.random(in: 10...18)
                let height = h / 2 + Int.random(in: 0...max(0, color == 2 ? h / 2 : h / 3))
                building(&canvas, x: x, width: w, height: height, color: color, windows: false)
                x += Int(Double(w) * spacing) + (color == 1 ? 1 : 0)
            }
        }
        var x = -10
        while x < canvas.width {
            x += Int.random(in: 0..<8)
            let w = Int.random(in: 5...18)
            let height = h / 3 + Int.random(in: 0...max(0, h / 2))
            building(&canvas, x: x, width: w, height: height, color: 0, windows: true)
            x += w + 1
        }
    }

    static func building(_ canvas: inout Canvas, x: Int, width: Int, height: Int, color: UInt8, windows: Bool) {
        let bottom = canvas.height - 1
        let top = bottom - height + 1
        for y in max(0, top)...max(0, bottom) {
            for px in x..<(x + width) {
                // Bevelled roof corners.
                if y == top && (px <= x + 1 || px >= x + width - 2) { continue }
                var c = color
                if windows && px > x + 1 && px < x + width - 2 && y > top + 1 && y < bottom - 1
                    && ((px - x - 2) / 2) % 2 == 1 && (y - top) % 2 == 0 {
                    c = Bool.random() ? 1 : 2
                }
                canvas.set(px, y, c)
            }
        }
    }
}
