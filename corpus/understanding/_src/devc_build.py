#!/usr/bin/env python3
"""Decodes the hand-written dev-c (or dev-d, ...) source lines into jsonl (no generation, no templates).
Utterance line: D S P E CATS TAGS text   (D b/h/e/t, S c/a, P -/0/+, E A/F/N/S,
CATS letters C complaint U churn E escalation K competitor X abuse P praise I inquiry or '.',
TAGS letters n negation s sarcasm p polite-complaint q question i implicit-complaint c contrast
x intensifier f filler d numbers m mixed or '.').
Mechanical tags: agent for agent turns; en: numbers when a number word occurs, filler when um/uh/erm/er/hmm/
you know/i mean occurs; zh: numbers when ASCII digits occur, filler when the text starts with 嗯/呃/啊/哎/那个/就是.
Conversation file: blocks separated by blank lines; '# D' header then 'S P E CATS text' lines.
Usage: python3 devc_build.py en|zh [batch letter, default c] [split dev|heldout, default dev]
(D also takes i insurance, u utilities, used from dev-d on.)
A heldout batch (e.g. `en b heldout`) reads heldout-b-<lang>.txt / conv-heldout-b-<lang>.txt and writes
heldout-b.jsonl / conversations-heldout-b.jsonl with ids <lang>-heldoutb-NNNN / <lang>-cheldoutb-NN."""
import json, re, sys, os
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
D = dict(b='banking', h='healthcare', e='ecommerce', t='telecom', i='insurance', u='utilities')
B = sys.argv[2] if len(sys.argv) > 2 else 'c'
SPLIT = sys.argv[3] if len(sys.argv) > 3 else 'dev'
assert SPLIT in ('dev', 'heldout'), SPLIT
S = dict(c='customer', a='agent')
P = {'-': 'negative', '0': 'neutral', '+': 'positive'}
E = dict(A='angry', F='frustrated', N='neutral', S='satisfied')
C = dict(C='complaint', U='churn', E='escalation', K='competitor', X='abuse', P='praise', I='inquiry')
T = dict(n='negation', s='sarcasm', p='polite-complaint', q='question', i='implicit-complaint', c='contrast',
         x='intensifier', f='filler', d='numbers', m='mixed')
ORDER = ['negation', 'sarcasm', 'polite-complaint', 'question', 'implicit-complaint', 'agent', 'contrast',
         'intensifier', 'filler', 'numbers', 'mixed']
NUMW = set('one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen '
           'eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million first second '
           'third fourth fifth sixth seventh eighth ninth tenth twice once half dozen'.split())
FILL = re.compile(r'\b(um|uh|erm|er|hmm|you know|i mean)\b')

def cats(s): return [] if s == '.' else [C[ch] for ch in s]

def tags(s, speaker, text, lang):
    t = set() if s == '.' else {T[ch] for ch in s}
    if speaker == 'agent': t.add('agent')
    if lang == 'en':
        if set(text.split()) & NUMW: t.add('numbers')
        if FILL.search(text): t.add('filler')
    else:
        if re.search(r'[0-9]', text): t.add('numbers')
        if re.match(r'(嗯|呃|啊|哎|那个|就是)', text): t.add('filler')
    return [x for x in ORDER if x in t]

def utt(lang):
    src = os.path.join(HERE, f'{SPLIT}-{B}-{lang}.txt')
    out, n = [], 0
    for i, line in enumerate(open(src, encoding='utf8'), 1):
        line = line.strip()
        if not line or line.startswith('#'): continue
        d, s, p, e, c, tg, text = line.split(' ', 6)
        n += 1
        out.append(dict(id=f'{lang}-{SPLIT}{B}-{n:04d}', domain=D[d], speaker=S[s], text=text.strip(), polarity=P[p],
                        emotion=E[e], categories=cats(c), tags=tags(tg, S[s], text, lang)))
    with open(os.path.join(ROOT, lang, f'{SPLIT}-{B}.jsonl'), 'w', encoding='utf8') as f:
        for o in out: f.write(json.dumps(o, ensure_ascii=False) + '\n')
    return len(out)

def conv(lang):
    src = os.path.join(HERE, f'conv-{SPLIT}-{B}-{lang}.txt')
    if not os.path.exists(src): return 0
    blocks = [b for b in open(src, encoding='utf8').read().split('\n\n') if b.strip()]
    rank = {'negative': 0, 'neutral': 1, 'positive': 2}
    erank = {'angry': 0, 'frustrated': 1, 'neutral': 2, 'satisfied': 3}
    rows = []
    for k, b in enumerate(blocks, 1):
        lines = [l.strip() for l in b.strip().split('\n') if l.strip()]
        dom = D[lines[0].split()[1]]
        us = []
        for l in lines[1:]:
            s, p, e, c, text = l.split(' ', 4)
            us.append(dict(speaker=S[s], text=text, polarity=P[p], emotion=E[e], categories=cats(c)))
        cust = [u for u in us if u['speaker'] == 'customer']
        worst = min(range(len(us)), key=lambda i: (rank[us[i]['polarity']], erank[us[i]['emotion']], i))
        end = cust[-1]['polarity']
        rows.append(dict(id=f'{lang}-c{SPLIT}{B}-{k:02d}', domain=dom, utterances=us,
                         call=dict(start=cust[0]['polarity'], end=end, worst=worst, endsNegative=end == 'negative')))
    with open(os.path.join(ROOT, lang, f'conversations-{SPLIT}-{B}.jsonl'), 'w', encoding='utf8') as f:
        for o in rows: f.write(json.dumps(o, ensure_ascii=False) + '\n')
    return len(rows)

if __name__ == '__main__':
    lang = sys.argv[1]
    print(lang, 'utterances', utt(lang), 'conversations', conv(lang))
