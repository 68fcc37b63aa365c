import Testing
@testable import TensorCore

@Suite struct ShapeAndViewTests {
    @Test func elementCountsDetectOverflowAndNegatives() {
        #expect(Shape([2, 3, 4]).checkedElementCount == 24)
        #expect(Shape([]).checkedElementCount == 1)
        #expect(Shape([0, 5]).checkedElementCount == 0)
        #expect(Shape([-1, 2]).checkedElementCount == nil)
        #expect(Shape([1 << 32, 1 << 32]).checkedElementCount == nil)
        #expect(Shape([1 << 62]).checkedByteCount(.f32) == nil)
        #expect(Shape([2, 3]).contiguousStrides == [3, 1])
    }

    @Test func permutedAndSlicedViewsGatherTheRightElements() {
        let t = Tensor(shape: [2, 3], data: [0, 1, 2, 3, 4, 5])
        #expect(t.gather(t.view.permuted([1, 0])).data == [0, 3, 1, 4, 2, 5])
        #expect(t.gather(t.view.sliced(axis: 1, 1..<3)).data == [1, 2, 4, 5])
        #expect(t.gather(t.view.permuted([1, 0]).sliced(axis: 0, 2..<3)).data == [2, 5])
        let cube = Tensor(shape: [2, 2, 2], data: (0..<8).map(Float.init))
        #expect(cube.gather(cube.view.permuted([2, 0, 1])).data == [0, 2, 4, 6, 1, 3, 5, 7])
        #expect(Tensor(zeros: [0, 3]).gather(Tensor(zeros: [0, 3]).view).data.isEmpty)
    }
}
