import Foundation

extension Double {
    static func tanhImpl(_ x: Double) -> Double { Foundation.tanh(x) }
    static func expImpl(_ x: Double) -> Double { Foundation.exp(x) }
}

extension Float {
    static func tanhImpl(_ x: Float) -> Float { Foundation.tanhf(x) }
    static func expImpl(_ x: Float) -> Float { Foundation.expf(x) }
}
