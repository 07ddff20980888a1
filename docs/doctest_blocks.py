"""A griffe extension for the API reference: show docstring examples as code, whatever their style.

The docstrings are rendered as Markdown. A doctest written at the top level of a docstring
(``>>>`` lines and their output, ended by a blank line, as doctest reads them) would otherwise
become a paragraph, and output such as ``['W', 'b']`` would even be read as a link. This wraps
each such block in a ``pycon`` fence, at the top level and inside sections such as ``Example:``,
whose content would otherwise render as nested quotes with the prompts gone. A reST ``::`` at the
end of a line becomes ``:``, since the indented block after it is already a Markdown code block.
"""
import griffe


def fence_doctests(text):
    """``text`` with every doctest block (``>>>`` lines and their output, up to a blank line) in a
    ``pycon`` fence at the block's own indentation, top-level or inside a section (``Example:``)."""
    lines, out, i = text.split('\n'), [], 0
    while i < len(lines):
        if not lines[i].lstrip().startswith('>>>'):
            line = lines[i]
            out.append(line[:-1] if line.endswith('::') and not line.strip() == '::' else line)
            i += 1
            continue
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        if out and out[-1].strip() and not out[-1].rstrip().endswith(':'):
            out.append('')
        out += [indent + '```pycon'] + block + [indent + '```']
    return '\n'.join(out)


class DoctestBlocks(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
