"""InternViT (VILA1.5-40B's vision tower), transcribed for the goldens from NVlabs/VILA at
36f6adc (the NVILA release; identical in computation to VILA 1.5's 1c88211):
llava/model/multimodal_encoder/intern/modeling_intern_vit.py (InternRMSNorm, InternVisionEmbeddings,
InternAttention._naive_attn, InternMLP, InternVisionEncoderLayer, InternVisionEncoder,
InternVisionModel) and configuration_intern_vit.py (InternVisionConfig's defaults), in eval mode
(dropout and drop-path are identities). State-dict names are the module's own.

The preprocessing is llava/model/multimodal_encoder/intern_encoder.py's build_transform:
torchvision's Resize((s, s), BICUBIC) on a PIL image, which torchvision runs as PIL's
`image.resize((s, s), Image.BICUBIC)` (transforms/_functional_pil.py resize), ToTensor (uint8 →
float32 ÷ 255, channels first) and Normalize(ImageNet mean, std) ((x − mean) / std in float32).
"""
import json
import os
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class InternVisionConfig:
    """InternVisionConfig's fields and defaults (InternViT-6B)."""

    def __init__(self, num_channels=3, patch_size=14, image_size=224, qkv_bias=False, hidden_size=3200,
                 num_attention_heads=25, intermediate_size=12800, qk_normalization=True, num_hidden_layers=48,
                 use_flash_attn=False, hidden_act="gelu", layer_norm_eps=1e-6, dropout=0.0, drop_path_rate=0.0,
                 attention_dropout=0.0, initializer_range=0.02, initializer_factor=0.1):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d.update(model_type="intern_vit_6b", architectures=["InternVisionModel"])
        return d


class InternRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class InternVisionEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.class_embedding = nn.Parameter(torch.randn(1, 1, self.embed_dim))
        self.patch_embedding = nn.Conv2d(3, self.embed_dim, kernel_size=config.patch_size, stride=config.patch_size)
        self.num_positions = (config.image_size // config.patch_size) ** 2 + 1
        self.position_embedding = nn.Parameter(torch.randn(1, self.num_positions, self.embed_dim))

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        patch_embeds = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        class_embeds = self.class_embedding.expand(batch_size, 1, -1)
        return torch.cat([class_embeds, patch_embeds], dim=1) + self.position_embedding


class InternAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.scale = (self.embed_dim // self.num_heads) ** -0.5
        self.qkv = nn.Linear(self.embed_dim, 3 * self.embed_dim, bias=config.qkv_bias)
        self.qk_normalization = config.qk_normalization
        if self.qk_normalization:
            self.q_norm = InternRMSNorm(self.embed_dim, eps=config.layer_norm_eps)
            self.k_norm = InternRMSNorm(self.embed_dim, eps=config.layer_norm_eps)
        self.proj = nn.Linear(self.embed_dim, self.embed_dim)

    def forward(self, x):  # _naive_attn
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.qk_normalization:
            B_, H_, N_, D_ = q.shape
            q = self.q_norm(q.transpose(1, 2).flatten(-2, -1)).view(B_, N_, H_, D_).transpose(1, 2)
            k = self.k_norm(k.transpose(1, 2).flatten(-2, -1)).view(B_, N_, H_, D_).transpose(1, 2)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class InternMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.hidden_act == "gelu"
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class InternVisionEncoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attn = InternAttention(config)
        self.mlp = InternMLP(config)
        self.norm1 = InternRMSNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.norm2 = InternRMSNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.ls1 = nn.Parameter(config.initializer_factor * torch.ones(config.hidden_size))
        self.ls2 = nn.Parameter(config.initializer_factor * torch.ones(config.hidden_size))

    def forward(self, hidden_states):
        hidden_states = hidden_states + self.attn(self.norm1(hidden_states)) * self.ls1
        return hidden_states + self.mlp(self.norm2(hidden_states)) * self.ls2


class InternVisionEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layers = nn.ModuleList([InternVisionEncoderLayer(config) for _ in range(config.num_hidden_layers)])


class InternVisionModel(nn.Module):
    """forward(pixel_values, output_hidden_states=True).hidden_states: the embeddings, then every
    layer's output (no final norm), as InternVisionEncoder collects them."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = InternVisionEmbeddings(config)
        self.encoder = InternVisionEncoder(config)

    def forward(self, pixel_values, output_hidden_states=True):
        h = self.embeddings(pixel_values)
        states = [h]
        for layer in self.encoder.layers:
            h = layer(h)
            states.append(h)
        return SimpleNamespace(last_hidden_state=h, hidden_states=tuple(states))


def preprocessor_config(size: int) -> dict:
    """What InternVisionPreprocessor's save_pretrained writes: its class and resize_size."""
    return {"image_processor_type": "InternVisionPreprocessor", "resize_size": size}


def transform(image: Image.Image, size: int) -> np.ndarray:
    """build_transform(size) on an RGB PIL image → float32 [3, size, size]."""
    resized = image.convert("RGB").resize((size, size), Image.BICUBIC)
    x = torch.from_numpy(np.array(resized, dtype=np.uint8)).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    mean = torch.as_tensor(IMAGENET_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.as_tensor(IMAGENET_STD, dtype=torch.float32)[:, None, None]
    return x.sub(mean).div(std).numpy()
