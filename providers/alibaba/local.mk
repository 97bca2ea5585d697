# providers/alibaba
