# Turns the hand-written lines in dev.txt / heldout.txt / conv-*.txt into the JSONL files.
# Line format: "<domain> <speaker> <polarity> <emotion> <categories> <tags>|<text>", '-' for an empty list.
# Every sentence was written by hand; this script only expands the short label codes.
import json, re, sys, os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'en')
D = {'b': 'banking', 'h': 'healthcare', 'e': 'ecommerce', 't': 'telecom'}
S = {'c': 'customer', 'a': 'agent'}
P = {'n': 'negative', '0': 'neutral', 'p': 'positive'}
E = {'a': 'angry', 'f': 'frustrated', '0': 'neutral', 's': 'satisfied'}
C = {'C': 'complaint', 'H': 'churn', 'X': 'escalation', 'M': 'competitor', 'A': 'abuse', 'P': 'praise', 'Q': 'inquiry'}
T = {'ng': 'negation', 'sc': 'sarcasm', 'pc': 'polite-complaint', 'q': 'question', 'ic': 'implicit-complaint',
     'ag': 'agent', 'ct': 'contrast', 'in': 'intensifier', 'fl': 'filler', 'nu': 'numbers', 'mx': 'mixed'}
NUM = re.compile(r'\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|'
                 r'seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|'
                 r'first|second|third|fourth|fifth|sixth|half|twice)\b')
FILL = re.compile(r'\b(um|uh|erm|er|hmm|you know|i mean)\b')

def parse(line, where):
    head, text = line.split('|', 1)
    f = head.split()
    if len(f) != 6:
        sys.exit(f'{where}: bad head {head!r}')
    d, s, p, e, cats, tags = f
    cats = [] if cats == '-' else [C[c] for c in cats.split(',')]
    tags = [] if tags == '-' else [T[t] for t in tags.split(',')]
    text = text.strip()
    if S[s] == 'agent' and 'agent' not in tags: tags.append('agent')
    if NUM.search(text) and 'numbers' not in tags: tags.append('numbers')
    if FILL.search(text) and 'filler' not in tags: tags.append('filler')
    return D[d], S[s], P[p], E[e], cats, tags, text

def lines(name):
    out = []
    with open(os.path.join(HERE, name)) as fh:
        for i, l in enumerate(fh, 1):
            l = l.rstrip('\n')
            if not l.strip() or l.startswith('#'): continue
            out.append((l, f'{name}:{i}'))
    return out

def utterances(split):
    rows = []
    for n, (l, where) in enumerate(lines(f'{split}.txt'), 1):
        d, s, p, e, cats, tags, text = parse(l, where)
        rows.append({'id': f'en-{split}-{n:04d}', 'domain': d, 'speaker': s, 'text': text, 'polarity': p,
                     'emotion': e, 'categories': cats, 'tags': tags})
    with open(os.path.join(OUT, f'{split}.jsonl'), 'w') as fh:
        for r in rows: fh.write(json.dumps(r, ensure_ascii=False) + '\n')
    print(split, len(rows))

# Conversation files: blocks separated by "== <domain> start end worst endsNegative" header lines.
def conversations(split, prefix):
    convs, cur = [], None
    for l, where in lines(f'conv-{split}.txt'):
        if l.startswith('=='):
            _, d, st, en, worst = l.split()
            cur = {'id': None, 'domain': D[d], 'utterances': [],
                   'call': {'start': P[st], 'end': P[en], 'worst': int(worst), 'endsNegative': P[en] == 'negative'}}
            convs.append(cur)
            continue
        _, s, p, e, cats, _tags, text = parse(l, where)
        cur['utterances'].append({'speaker': s, 'text': text, 'polarity': p, 'emotion': e, 'categories': cats})
    with open(os.path.join(OUT, f'conversations-{split}.jsonl'), 'w') as fh:
        for i, c in enumerate(convs, 1):
            c['id'] = f'en-{prefix}-{i:02d}'
            fh.write(json.dumps(c, ensure_ascii=False) + '\n')
    print('conversations', split, len(convs))

for split in sys.argv[1:]:
    if split in ('dev', 'heldout'): utterances(split)
    elif split == 'cdev': conversations('dev', 'cdev')
    elif split == 'cheldout': conversations('heldout', 'cheldout')
