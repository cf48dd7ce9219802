import json, re, sys
from build import D, P, E, C, PUNCT
SC={'negative':0,'neutral':1,'positive':2}
EM={'angry':0,'frustrated':1,'neutral':2,'satisfied':3}
def parse(path, prefix):
    convs=[]; cur=None
    for ln,line in enumerate(open(path,encoding='utf-8'),1):
        line=line.rstrip('\n')
        if not line.strip() or line.startswith('#'): continue
        if line.startswith('='):
            cur={'domain':D[line[1:].strip()],'utterances':[]}; convs.append(cur); continue
        s,p,e,cats,text=line.split(' ',4)
        if PUNCT.search(text): sys.exit(f'{path}:{ln} punct {text}')
        cur['utterances'].append({'speaker':{'c':'customer','a':'agent'}[s],'text':text,'polarity':P[p],'emotion':E[e],
            'categories':[] if cats=='.' else [C[x] for x in cats.split(',')]})
    out=[]
    for i,c in enumerate(convs,1):
        u=c['utterances']; cu=[x for x in u if x['speaker']=='customer']
        worst=min(range(len(u)),key=lambda k:(SC[u[k]['polarity']],EM[u[k]['emotion']],k))
        start=cu[0]['polarity']; end=cu[-1]['polarity']
        out.append({'id':f'{prefix}-{i:02d}','domain':c['domain'],'utterances':u,
            'call':{'start':start,'end':end,'worst':worst,'endsNegative':end=='negative'}})
    return out
if __name__=='__main__':
    src,prefix,dst=sys.argv[1:4]
    o=parse(src,prefix)
    with open(dst,'w',encoding='utf-8') as f:
        for c in o: f.write(json.dumps(c,ensure_ascii=False)+'\n')
    print(dst,len(o),[ (c['call']['start'][:3],c['call']['end'][:3],c['call']['worst']) for c in o])
