console.log("no assets yet")
