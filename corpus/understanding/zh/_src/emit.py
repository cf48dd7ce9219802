import json, random, sys
from build import parse
def emit(groups, prefix, out, seed):
    r=[]
    for gi,files in enumerate(groups):
        g=[]
        for f in files: g+=parse(f)
        random.Random(seed+gi*1000).shuffle(g) if gi else random.Random(seed).shuffle(g)
        r+=g
    with open(out,'w',encoding='utf-8') as fh:
        for i,x in enumerate(r,1):
            x.pop('_src')
            fh.write(json.dumps({'id':f'{prefix}-{i:04d}',**x},ensure_ascii=False)+'\n')
    print(out,len(r))
if __name__=='__main__':
    kind=sys.argv[1]; import os; D=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..')+'/'
    if kind=='dev': emit([['dev_b.txt','dev_h.txt','dev_e.txt','dev_t.txt','dev_x.txt'],['dev_y.txt']],'zh-dev',D+'dev.jsonl',14)
    if kind=='ho': emit([['ho_b.txt','ho_h.txt','ho_e.txt','ho_t.txt'],['ho_y.txt']],'zh-heldout',D+'heldout.jsonl',1414)
    if kind=='devd': emit([['devd.txt']],'zh-devd',D+'dev-d.jsonl',2026)
