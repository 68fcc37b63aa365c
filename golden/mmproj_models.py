#!/usr/bin/env python3
"""Two tiny VILA checkpoints whose vision tower and projector llama.cpp has a projector for (formats/gguf-export.md),
built with golden/generate.py's build_vila (so the same layout and seeds as the other models):
  models/nvila-siglip-224-f32   NVILA-order mlp_downsample on a SigLIP 16×16 patch grid → llama.cpp 'lfm2'
  models/siglip-mlp2x-224-f32   mlp2x_gelu on SigLIP 16×16 (every token)             → llama.cpp 'mlp'
scripts/check_mmproj.py measures their mmproj exports in llama.cpp. Regenerate: python golden/mmproj_models.py
"""
import generate


def main():
    generate.build_vila("nvila-siglip-224-f32", vision_kind="siglip", projector="mlp_downsample", dtype="f32",
                        llm_cfg=generate.qwen2_config(), select_feature="cls_patch", tokenizer="qwen2",
                        vision_cfg=generate.siglip_config(image_size=224), nvila=True, seed=90)
    generate.build_vila("siglip-mlp2x-224-f32", vision_kind="siglip", projector="mlp2x_gelu", dtype="f32",
                        llm_cfg=generate.llama_config(), select_feature="cls_patch",
                        vision_cfg=generate.siglip_config(image_size=224), seed=91)
    print("wrote models/nvila-siglip-224-f32 and models/siglip-mlp2x-224-f32")


if __name__ == "__main__":
    main()
