#!/usr/bin/env python3
"""End-to-end golden cases: image file + question → preprocessing → prompt ids → model → greedy ids,
computed with Pillow, transformers, tokenizers/sentencepiece and PyTorch (never VLMKit).

Called by generate.py; runs alone (`python golden/e2e.py`) once golden/models and golden/images exist.
The prompt follows VILA: llava/conversation.py (templates), llava/mm_utils.py (process_image,
tokenizer_image_token) and the run script's rule that a question without <image> gets one
"<image>\\n" per image in front. Writes golden/e2e/<case>.golden.safetensors:
  input.pixel_values F32 [N,3,H,W], input.token_ids I64 [T] (−200 per image),
  expected.generated_ids I64 [G] (greedy, stopping after a stop id or the stop string);
metadata: model, images (JSON list), prompt, template, image_aspect_ratio, max_new_tokens, text.
"""
import json
import os

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import (CLIPVisionConfig, CLIPVisionModel, LlamaConfig, LlamaForCausalLM,
                          LlavaForConditionalGeneration, SiglipVisionConfig, SiglipVisionModel)
from PIL import Image

import generate as G
import images as I

ROOT = G.ROOT
TEMPLATES = {
    "vicuna_v1": dict(system="A chat between a curious user and an artificial intelligence assistant. "
                      "The assistant gives helpful, detailed, and polite answers to the user's questions.",
                      roles=("USER", "ASSISTANT"), style="TWO", sep=" ", sep2="</s>"),
    "llama_3": dict(system="<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful language and vision assistant. "
                    "You are able to understand the visual content that the user provides, "
                    "and assist the user with a variety of tasks using natural language.",
                    roles=("<|start_header_id|>user<|end_header_id|>\n\n", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
                    style="LLAMA_3", sep="<|eot_id|>", sep2="<|end_of_text|>"),
    "plain": dict(system="", roles=("", ""), style="PLAIN", sep="\n", sep2=None),
}


def get_prompt(t: dict, messages: list) -> str:
    """Conversation.get_prompt for the TWO, LLAMA_3 and PLAIN styles."""
    if t["style"] == "TWO":
        seps = [t["sep"], t["sep2"]]
        ret = t["system"] + seps[0]
        for i, (role, msg) in enumerate(messages):
            ret += role + ": " + msg + seps[i % 2] if msg else role + ":"
    elif t["style"] == "LLAMA_3":
        ret = t["system"] + t["sep"]
        for i, (role, msg) in enumerate(messages):
            ret += role + msg + (t["sep"] if i < len(messages) - 1 else t["sep2"]) if msg else role
    else:
        seps = [t["sep"], t["sep2"]]
        ret = t["system"]
        for i, (role, msg) in enumerate(messages):
            ret += msg + seps[i % 2] if msg else ""
    return ret


class Tok:
    """The tokenizer VILA's AutoTokenizer would give: tokenizers for tokenizer.json, sentencepiece
    (with BOS added, as LlamaTokenizer does) for tokenizer.model."""

    def __init__(self, folder: str):
        sp = os.path.join(folder, "tokenizer.model")
        if os.path.exists(sp):
            import sentencepiece as spm
            self.sp = spm.SentencePieceProcessor(model_file=sp)
            self.bos, self.tok = self.sp.bos_id(), None
        else:
            from tokenizers import Tokenizer
            self.tok, self.sp = Tokenizer.from_file(os.path.join(folder, "tokenizer.json")), None
            self.bos = self.tok.token_to_id("<|begin_of_text|>")

    def __call__(self, text: str) -> list:
        return [self.bos] + self.sp.encode(text) if self.sp else self.tok.encode(text).ids

    def token_id(self, text: str):
        if self.sp:
            i = self.sp.piece_to_id(text)
            return None if i == self.sp.unk_id() and text != "<unk>" else i
        return self.tok.token_to_id(text)

    def decode(self, ids: list) -> str:
        return self.sp.decode(ids) if self.sp else self.tok.decode(ids, skip_special_tokens=True)


def tokenizer_image_token(prompt: str, tok: Tok) -> list:
    chunks = [tok(c) for c in prompt.split("<image>")]
    ids, offset = [], 0
    if chunks and chunks[0] and chunks[0][0] == tok.bos:
        offset = 1
        ids.append(chunks[0][0])
    for i, c in enumerate(chunks):
        if i:
            ids.append(G.IMAGE_TOKEN)
        ids.extend(c[offset:])
    return ids


def load_weights(folder: str) -> dict:
    """model.safetensors, or every shard named by model.safetensors.index.json."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        return load_file(os.path.join(folder, "model.safetensors"))
    with open(index) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for name in files:
        out.update(load_file(os.path.join(folder, name)))
    return out


def load_vila(folder: str):
    with open(os.path.join(folder, "config.json")) as f:
        top = json.load(f)
    llm_cfg = LlamaConfig(**{k: v for k, v in G.as_v4_config(top["llm_cfg"]).items() if k != "architectures"})
    llm = LlamaForCausalLM(llm_cfg)
    state = {k: v.float() for k, v in load_weights(os.path.join(folder, "llm")).items()}
    missing, unexpected = llm.load_state_dict(state, strict=False)
    assert not unexpected and all(m == "lm_head.weight" for m in missing), (missing, unexpected)
    if missing:
        llm.tie_weights()
    vcfg = dict(top["vision_tower_cfg"])
    is_clip = vcfg["model_type"] == "clip_vision_model"
    vconf = (CLIPVisionConfig if is_clip else SiglipVisionConfig)(**{k: v for k, v in vcfg.items() if k != "architectures"})
    vision = (CLIPVisionModel if is_clip else SiglipVisionModel)(vconf)
    # Checkpoints spell the tower's keys with or without "vision_model."; match the class's own.
    prefixed = next(iter(vision.state_dict())).startswith("vision_model.")
    vstate = {}
    for k, v in load_weights(os.path.join(folder, "vision_tower")).items():
        k = k[len("vision_model."):] if k.startswith("vision_model.") else k
        vstate[("vision_model." if prefixed else "") + k] = v.float()
    vision.load_state_dict(vstate, strict=True)
    kind = top["mm_projector_cfg"]["mm_projector_type"]
    proj = G.vila_projector(kind, vconf.hidden_size, llm_cfg.hidden_size, seed=0)
    proj.load_state_dict({k: v.float() for k, v in load_weights(os.path.join(folder, "mm_projector")).items()})
    return dict(llm=llm.eval(), vision=vision.eval(), projector=proj.eval(), projector_kind=kind,
                select_layer=top["mm_vision_select_layer"], select_feature=top["mm_vision_select_feature"],
                aspect=top.get("image_aspect_ratio"), eos=llm_cfg.eos_token_id)


def greedy_until(step, embeds, max_new: int, stop_ids: set, stop_str: str, tok: Tok, room: int) -> list:
    """Greedy decoding by full recomputation; stops after a stop id, once the decoded text
    contains the stop string (VILA's KeywordsStoppingCriteria), or when the context
    (max_position_embeddings) is full."""
    out = []
    for _ in range(min(max_new, room)):
        nxt = int(torch.argmax(step(embeds, out)))
        out.append(nxt)
        if nxt in stop_ids or (stop_str and stop_str in tok.decode(out)):
            break
    return out


def case(name, model, image_names, question, template, max_new=12, aspect=None):
    folder = os.path.join(G.MODELS, model)
    t = TEMPLATES[template]
    n = len(image_names)
    q = question if "<image>" in question else "<image>\n" * n + question
    prompt = get_prompt(t, [(t["roles"][0], q), (t["roles"][1], None)])
    llava = os.path.exists(os.path.join(folder, "preprocessor_config.json"))
    tok = Tok(folder if llava else os.path.join(folder, "llm"))
    ids = tokenizer_image_token(prompt, tok)
    proc_folder = folder if llava else os.path.join(folder, "vision_tower")
    proc = I.pil_processor(proc_folder)
    torch.set_num_threads(1)
    with torch.no_grad():
        if llava:
            m = LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
            mode = aspect or "processor"
            eos = m.config.text_config.eos_token_id
        else:
            ref = load_vila(folder)
            mode = aspect or ref["aspect"] or "processor"
            eos = ref["eos"]
        pix = torch.stack([torch.from_numpy(I.vila_process(Image.open(os.path.join(I.FILES, f)).convert("RGB"), proc, mode))
                           for f in image_names])
        stop_ids = {eos} if isinstance(eos, int) else set(eos)
        stop_str = t["sep2"] if t["style"] == "TWO" else t["sep"]
        for s in [stop_str, t["sep2"], t["sep"] if t["style"] == "LLAMA_3" else None]:
            if s and tok.token_id(s) is not None:
                stop_ids.add(tok.token_id(s))
        if llava:
            cfg = m.config
            per = m.model.multi_modal_projector(m.model.vision_tower(pix[:1], output_hidden_states=True)
                                                .hidden_states[cfg.vision_feature_layer][:, 1:]).shape[1]
            expanded = []
            for x in ids:
                expanded += [cfg.image_token_index] * per if x == G.IMAGE_TOKEN else [x]
            base = torch.tensor([expanded])

            def step(_, out):
                cur = torch.cat([base, torch.tensor([out], dtype=torch.long)], dim=1)
                return m(input_ids=cur, pixel_values=pix).logits[0, -1]
            gen = greedy_until(step, None, max_new, stop_ids, stop_str, tok, cfg.text_config.max_position_embeddings - base.shape[1])
        else:
            hs = ref["vision"](pixel_values=pix, output_hidden_states=True).hidden_states[ref["select_layer"]]
            feats = hs[:, 1:] if ref["select_feature"] == "patch" else hs
            projected = G.vila_project(ref["projector_kind"], ref["projector"], feats)
            llm = ref["llm"]
            embeds = G.splice(llm.get_input_embeddings(), ids, projected)

            def step(e, out):
                if out:
                    e = torch.cat([e, llm.get_input_embeddings()(torch.tensor(out))], dim=0)
                return llm(inputs_embeds=e[None]).logits[0, -1]
            gen = greedy_until(step, embeds, max_new, stop_ids, stop_str, tok, llm.config.max_position_embeddings - embeds.shape[0])
    text = tok.decode(gen)
    if stop_str and stop_str in text:
        text = text[:text.index(stop_str)]
    meta = {"format": "vlmkit-golden-e2e", "version": "1", "model": f"models/{model}",
            "images": json.dumps([f"images/files/{f}" for f in image_names]), "prompt": question,
            "template": template, "image_aspect_ratio": mode, "max_new_tokens": str(max_new), "text": text,
            "stop_ids": json.dumps(sorted(stop_ids)), "generator": G.GENERATOR + ", golden/e2e.py",
            "regenerate": "python golden/generate.py (see golden/requirements.txt)"}
    os.makedirs(os.path.join(ROOT, "e2e"), exist_ok=True)
    save_file({"input.pixel_values": pix.contiguous(), "input.token_ids": torch.tensor(ids, dtype=torch.int64),
               "expected.generated_ids": torch.tensor(gen, dtype=torch.int64)},
              os.path.join(ROOT, "e2e", name + ".golden.safetensors"), metadata=meta)
    print(f"e2e {name}: {len(ids)} prompt ids, generated {gen}, text {text!r}")


def load_nvila(folder: str) -> dict:
    """An NVILA checkpoint (Qwen2 LLM, SigLIP tower, projector in the NVILA release's token order)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    with open(os.path.join(folder, "config.json")) as f:
        top = json.load(f)
    llm_cfg = Qwen2Config(**{k: v for k, v in top["llm_cfg"].items() if k != "architectures"})
    llm = Qwen2ForCausalLM(llm_cfg)
    llm.load_state_dict({k: v.float() for k, v in load_weights(os.path.join(folder, "llm")).items()}, strict=True)
    vcfg = SiglipVisionConfig(**{k: v for k, v in top["vision_tower_cfg"].items() if k != "architectures"})
    vision = SiglipVisionModel(vcfg)
    prefixed = next(iter(vision.state_dict())).startswith("vision_model.")
    vision.load_state_dict({("vision_model." if prefixed else "") + k.removeprefix("vision_model."): v.float()
                            for k, v in load_weights(os.path.join(folder, "vision_tower")).items()}, strict=True)
    kind = top["mm_projector_cfg"]["mm_projector_type"]
    proj = G.vila_projector(kind, top["mm_hidden_size"], llm_cfg.hidden_size, seed=0)
    proj.load_state_dict({k: v.float() for k, v in load_weights(os.path.join(folder, "mm_projector")).items()})
    return dict(llm=llm.eval(), vision=vision.eval(), projector=proj.eval(), kind=kind, top=top, eos=llm_cfg.eos_token_id)


def nvila_case(name, model, image_names, question, max_new=12):
    """NVILA's own inference path (NVlabs/VILA @ 36f6adc), transcribed: llava/cli/infer.py puts the media before the
    text; llava/utils/media.py extract_media writes "<image>" per image; llava/utils/tokenizer.py
    tokenize_conversation strips the message and applies the tokenizer's chat template, then tokenizes the whole
    text (builder.py adds "<image>" as a special token); llava_arch.py _embed replaces it with the image's features
    followed by BasicImageEncoder's end_tokens, tokenizer("\n").input_ids (encoders/image/basic.py); infer_stop_tokens
    finds the stop token after a sentinel answer. Images are tiled by dynamic_s2_preprocess (golden/dynamic_s2.py)."""
    import dynamic_s2
    from transformers import AutoTokenizer
    folder = os.path.join(G.MODELS, model)
    ref = load_nvila(folder)
    top = ref["top"]
    tok = AutoTokenizer.from_pretrained(os.path.join(folder, "llm"))
    tok.add_tokens(["<image>"], special_tokens=True)
    image_id = tok.convert_tokens_to_ids("<image>")
    tok.add_tokens(["<vila/sentinel>"], special_tokens=True)
    sentinel_id = tok.convert_tokens_to_ids("<vila/sentinel>")

    def tokenize_conversation(messages, generation):
        conv = [{"role": "user" if m["from"] == "human" else "assistant", "content": m["value"].strip()} for m in messages]
        return tok(tok.apply_chat_template(conv, add_generation_prompt=generation, tokenize=False)).input_ids

    dummy = [{"from": "human", "value": "question"}, {"from": "gpt", "value": "<vila/sentinel>"}] * 10
    template = tokenize_conversation(dummy, False)
    stop_tokens = {tok.eos_token} | {tok.decode(template[k + 1]) for k in range(len(template) - 1) if template[k] == sentinel_id}
    stop_ids = set(tok.convert_tokens_to_ids(sorted(stop_tokens))) | {ref["eos"]}

    value = "<image>" * len(image_names) + question
    dynamic = top.get("image_aspect_ratio") == "dynamic"  # NVILA-Lite: a single image becomes its tiles + thumbnail
    if dynamic and len(image_names) == 1:
        image = Image.open(os.path.join(I.FILES, image_names[0])).convert("RGB")
        size = I.pil_processor(os.path.join(folder, "vision_tower")).size["height"]
        tiles = dynamic_s2.dynamic_preprocess(image, top.get("min_tiles", 1), top.get("max_tiles", 12), size)
        value = value.replace("<image>", "<image>\n" * len(tiles))  # generate_content's replace
    ids = tokenize_conversation([{"from": "human", "value": value}], True)
    end_ids = tok("\n").input_ids
    scales = sorted(int(x) for x in top["s2_scales"].split(",")) if top.get("s2_scales") else None
    proc = I.pil_processor(os.path.join(folder, "vision_tower"))
    size = proc.size["height"]
    images = [Image.open(os.path.join(I.FILES, f)).convert("RGB") for f in image_names]
    if dynamic:
        tiles, block_sizes, grids = (tiles if len(images) == 1 else images), None, None
    elif len(images) == 1:  # generate_content tiles a single image (process_image with enable_dynamic_s2) ...
        tiles, grid = dynamic_s2.dynamic_s2_preprocess(images[0], scales, top.get("max_tiles", 12), size)
        block_sizes, grids = [grid], [grid]
    else:  # ... and preprocesses several whole (process_images), with no block sizes
        tiles, block_sizes, grids = images, [None] * len(images), [(0, 0)] * len(images)
    pix = torch.from_numpy(np.stack([proc(t, return_tensors="np")["pixel_values"][0] for t in tiles]))
    torch.set_num_threads(1)
    with torch.no_grad():
        hs = ref["vision"](pixel_values=pix, output_hidden_states=True).hidden_states[top["mm_vision_select_layer"]]
        feats = hs[:, 1:] if top["mm_vision_select_feature"] == "patch" else hs
        if dynamic:  # every tile is an image of its own: tower, projector
            projected = list(G.vila_project(ref["kind"], ref["projector"], feats, "nvila"))
        else:
            _, projected = dynamic_s2.encode_images(feats, block_sizes, scales, top["s2_resize_output_to_scale_idx"],
                                                    lambda x: G.vila_project(ref["kind"], ref["projector"], x, "nvila"))
        llm = ref["llm"]
        embed = llm.get_input_embeddings()
        parts, k = [], 0
        for t in ids:
            if t == image_id:
                parts += [projected[k], embed(torch.tensor(end_ids))]
                k += 1
            else:
                parts.append(embed(torch.tensor([t])))
        embeds = torch.cat(parts, dim=0)

        def step(e, out):
            if out:
                e = torch.cat([e, embed(torch.tensor(out))], dim=0)
            return llm(inputs_embeds=e[None]).logits[0, -1]
        gen = []
        for _ in range(min(max_new, llm.config.max_position_embeddings - embeds.shape[0])):
            nxt = int(torch.argmax(step(embeds, gen)))
            gen.append(nxt)
            if nxt in stop_ids:
                break
    # What VLMKit feeds: −200 where the image goes, the end tokens' ids after it (their embeddings are the same).
    expanded = []
    for t in ids:
        expanded += [G.IMAGE_TOKEN] + end_ids if t == image_id else [t]
    text = tok.decode(gen, skip_special_tokens=True)
    meta = {"format": "vlmkit-golden-e2e", "version": "1", "model": f"models/{model}",
            "images": json.dumps([f"images/files/{f}" for f in image_names]), "prompt": question,
            "template": "chat_template", "image_aspect_ratio": top["image_aspect_ratio"], "max_new_tokens": str(max_new), "text": text,
            "stop_ids": json.dumps(sorted(stop_ids)), "generator": G.GENERATOR + ", golden/e2e.py (nvila_case)",
            "regenerate": "python golden/generate.py (see golden/requirements.txt)"}
    tensors = {"input.pixel_values": pix.contiguous(), "input.token_ids": torch.tensor(expanded, dtype=torch.int64),
               "expected.generated_ids": torch.tensor(gen, dtype=torch.int64)}
    if grids is not None:
        tensors["input.grids"] = torch.tensor(grids, dtype=torch.int64)
    save_file(tensors, os.path.join(ROOT, "e2e", name + ".golden.safetensors"), metadata=meta)
    print(f"e2e {name}: {len(expanded)} prompt ids, grids {grids}, generated {gen}, text {text!r}")


def main():
    case("clip-linear-llama3-template", "vila-clip-linear-f16", ["scene-97x61.jpg"], "<image> What is in this picture?", "llama_3")
    case("siglip-vicuna-two-images", "vila-siglip-downsample-f32", ["scene-61x97-progressive-444.jpg", "palette-40x40.png"],
         "Compare the two pictures.", "vicuna_v1")
    case("clip-mlp2x-pad-vicuna", "vila-clip-mlp2x-bf16-sharded", ["tall-gray-33x70.png"], "Describe <image> briefly.",
         "vicuna_v1", aspect="pad")
    case("llava-hf-plain", "llava-hf-f16", ["photo-320x240.jpg"], "<image>\nWhat do you see?", "plain")
    nvila_case("nvila-s2-qwen2-chat-template", "nvila-s2-siglip-qwen2-f16", ["wide-80x45.png"], "  Describe the picture.\n")
    nvila_case("nvila-s2-qwen2-two-images", "nvila-s2-siglip-qwen2-f16", ["photo-320x240.jpg", "tall-gray-33x70.png"],
               "Compare them.")
    nvila_case("nvila-lite-dynamic-tiles", "nvila-siglip-3x3-qwen2-f16", ["photo-320x240.jpg"], "What is this?")


if __name__ == "__main__":
    main()
