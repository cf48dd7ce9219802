#!/usr/bin/env python3
"""Decodes the hand-written zh held-out batch B (no generation, no templates) into jsonl.
Same line codes as devc_build.py (imported from it): heldout-b-zh.txt -> zh/heldout-b.jsonl (zh-heldoutb-NNNN),
conv-heldout-b-zh.txt -> zh/conversations-heldout-b.jsonl (zh-cheldoutb-NN; call labels computed from the turns).
heldout-b is never tuned on: only the bench reads it (--split heldout-b).
Usage: python3 heldoutb_build.py"""
import json, os
from devc_build import D, S, P, E, cats, tags, HERE, ROOT

LANG = 'zh'

def utt():
    out = []
    for line in open(os.path.join(HERE, 'heldout-b-zh.txt'), encoding='utf8'):
        line = line.strip()
        if not line or line.startswith('#'): continue
        d, s, p, e, c, tg, text = line.split(' ', 6)
        out.append(dict(id=f'{LANG}-heldoutb-{len(out) + 1:04d}', domain=D[d], speaker=S[s], text=text.strip(),
                        polarity=P[p], emotion=E[e], categories=cats(c), tags=tags(tg, S[s], text, LANG)))
    with open(os.path.join(ROOT, LANG, 'heldout-b.jsonl'), 'w', encoding='utf8') as f:
        for o in out: f.write(json.dumps(o, ensure_ascii=False) + '\n')
    return len(out)

def conv():
    blocks = [b for b in open(os.path.join(HERE, 'conv-heldout-b-zh.txt'), encoding='utf8').read().split('\n\n') if b.strip()]
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
        rows.append(dict(id=f'{LANG}-cheldoutb-{k:02d}', domain=dom, utterances=us,
                         call=dict(start=cust[0]['polarity'], end=end, worst=worst, endsNegative=end == 'negative')))
    with open(os.path.join(ROOT, LANG, 'conversations-heldout-b.jsonl'), 'w', encoding='utf8') as f:
        for o in rows: f.write(json.dumps(o, ensure_ascii=False) + '\n')
    return len(rows)

if __name__ == '__main__':
    print(LANG, 'heldout-b utterances', utt(), 'conversations', conv())
