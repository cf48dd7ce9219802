import json, re, sys
D={'b':'banking','h':'healthcare','e':'ecommerce','t':'telecom','i':'insurance','u':'utilities','g':'government'}
S={'c':'customer','a':'agent'}
P={'-':'negative','0':'neutral','+':'positive'}
E={'A':'angry','F':'frustrated','N':'neutral','S':'satisfied'}
C={'C':'complaint','H':'churn','E':'escalation','P':'competitor','B':'abuse','R':'praise','I':'inquiry'}
T={'n':'negation','s':'sarcasm','p':'polite-complaint','q':'question','i':'implicit-complaint','a':'agent','c':'contrast','x':'intensifier','f':'filler','d':'numbers','m':'mixed'}
PUNCT=re.compile(r'[，。？！、；：,.?!;:"“”‘’\s（）()]')
def parse(path):
    out=[]
    for ln,line in enumerate(open(path,encoding='utf-8'),1):
        line=line.rstrip('\n')
        if not line.strip() or line.startswith('#'): continue
        parts=line.split(' ',6)
        if len(parts)!=7: sys.exit(f'{path}:{ln} bad fields: {line}')
        d,s,p,e,cats,tags,text=parts
        if PUNCT.search(text): sys.exit(f'{path}:{ln} punctuation/space: {text}')
        cl=[] if cats=='.' else [C[x] for x in cats.split(',')]
        tl=[] if tags=='.' else [T[x] for x in tags.split(',')]
        if re.search(r'[0-9]',text) and 'numbers' not in tl: tl.append('numbers')
        if re.match(r'^(嗯|呃|啊|哎|那个|就是)',text) and 'filler' not in tl: tl.append('filler')
        out.append(dict(domain=D[d],speaker=S[s],text=text,polarity=P[p],emotion=E[e],categories=cl,tags=tl,_src=f'{path}:{ln}'))
    return out
