#!/usr/bin/env python3
"""Chat-template goldens: every template in golden/templates/ rendered by transformers' own
renderer (render_jinja_template: jinja2's sandbox with trim_blocks and lstrip_blocks, transformers'
tojson, raise_exception and strftime_now) over a fixed set of conversations. Writes
golden/templates/cases.json: [{template, conversation, add_generation_prompt, variables, expected | error}].
Run alone (`python golden/chat_templates.py`) or through generate.py.
"""
import json
import os

from transformers.utils.chat_template_utils import render_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "templates")

CONVERSATIONS = {
    "one-user": [{"role": "user", "content": "Hello, how are you?"}],
    "system-user": [{"role": "system", "content": "You are a pirate.  "},
                    {"role": "user", "content": "<image>Describe the image, please?"}],
    "multi-turn": [{"role": "user", "content": "  What is 2+2?\n"},
                   {"role": "assistant", "content": "It is 4. "},
                   {"role": "user", "content": "And (times) three skip STOP now?"}],
    "unicode": [{"role": "user", "content": "Ünïcödé — 日本語 \"quotes\" 'single'\ttab\nline two"}],
    "not-alternating": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
}
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]


def render(template: str, conversation: list, generation: bool, tools=None) -> dict:
    try:
        out, _ = render_jinja_template(conversations=[json.loads(json.dumps(conversation))], tools=tools,
                                       chat_template=template, add_generation_prompt=generation, **SPECIAL)
        return {"expected": out[0]}
    except Exception as e:  # the template raised (raise_exception) or failed
        return {"error": f"{type(e).__name__}: {e}"}


# Templates given inline (not files): Jinja's newline handling (CRLF, a trailing newline).
INLINE = {
    "inline:trailing-newline": "{{ messages[0]['content'] }}\n",
    "inline:crlf": "A\r\nB{% if true %}\r\nC{% endif %}\r\nD\r\n\r\n",
    "inline:raw-text-newlines": "{% for m in messages %}{{ m.role }}:\n  {{ m.content }}\n{% endfor %}\n",
}


def main():
    templates = {}
    for name in sorted(os.listdir(FOLDER)):
        if name.endswith(".jinja"):
            with open(os.path.join(FOLDER, name)) as f:
                templates[name] = f.read()
    # NVILA's builder loads its templates with 4-space runs and newlines removed.
    templates["nvila-qwen2.jinja#builder"] = templates["nvila-qwen2.jinja"].replace("    ", "").replace("\n", "")
    templates.update(INLINE)
    cases = []
    for tname, source in templates.items():
        for cname, conv in CONVERSATIONS.items():
            for generation in (True, False):
                case = {"template": tname, "conversation": cname, "add_generation_prompt": generation}
                case.update(render(source, conv, generation))
                cases.append(case)
    cases.append({"template": "qwen2.5-instruct.jinja", "conversation": "system-user", "add_generation_prompt": True,
                  "tools": TOOLS, **render(templates["qwen2.5-instruct.jinja"], CONVERSATIONS["system-user"], True, TOOLS)})
    out = {"format": "vlmkit-chat-template-goldens", "version": 1, "inline_templates": INLINE,
           "regenerate": "python golden/chat_templates.py", "special_tokens": SPECIAL,
           "conversations": CONVERSATIONS, "cases": cases}
    with open(os.path.join(FOLDER, "cases.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(cases)} cases, {sum('error' in c for c in cases)} errors")


if __name__ == "__main__":
    main()
