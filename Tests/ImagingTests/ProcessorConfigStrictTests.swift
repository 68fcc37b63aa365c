import Imaging
import ModelGraph
import TensorIO
import Testing

/// Processor values that would make every pixel NaN or infinite are refused by name.
@Suite struct ProcessorConfigStrictTests {
    static func config(_ json: String) throws -> ImageProcessorConfig {
        try ImageProcessorConfig(ConfigObject(json: try JSONParser.parse(json, allowNonFinite: true), file: "preprocessor_config.json"))
    }

    @Test func nonFiniteMeanOrStdIsRefused() throws {
        _ = try Self.config(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 56}, "crop_size": {"height": 56, "width": 56}}"#)
        #expect(throws: ConfigError.self) { try Self.config(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 56}, "crop_size": {"height": 56, "width": 56}, "image_mean": NaN}"#) }
        #expect(throws: ConfigError.self) { try Self.config(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 56}, "crop_size": {"height": 56, "width": 56}, "image_std": [0.5, Infinity, 0.5]}"#) }
    }

    @Test func zeroStdIsRefused() {
        #expect { try Self.config(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 56}, "crop_size": {"height": 56, "width": 56}, "image_std": [0.5, 0, 0.5]}"#) } throws: {
            "\($0)".contains("\"image_std\" has 0 for channel 1: normalising would divide by zero")
        }
    }
}
