#!/bin/sh
# Compiles the probes with plain javac into a temporary directory and runs each under
# -XX:+UseSerialGC, -XX:+UseParallelGC and -XX:+UseG1GC, one JVM at a time (never in
# parallel); writes results/NAME.GC[.VARIANT].txt. Took about 9 minutes here.
set -eu
cd "$(dirname "$0")"
mkdir -p results
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
javac -nowarn -d "$T/cls" *.java
javac -d "$T/wb" whitebox/sun/hotspot/WhiteBox.java
(cd "$T/wb" && jar cf "$T/wb.jar" sun)
java -version > results/VERSION.txt 2>&1
BASE="-Xmx256m -XX:ActiveProcessorCount=1 -Xshare:auto --add-opens java.base/java.lang.ref=ALL-UNNAMED -cp $T/cls"
WBOPTS="-XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI -Xbootclasspath/a:$T/wb.jar -Dshowgc=true"
for gc in Serial Parallel G1; do
  J="java -XX:+Use${gc}GC $BASE"
  $J P01_Quiescence 1000 > results/P01_Quiescence.$gc.txt 2>&1
  $J -Dshowgc=true P02_WeakAndResurrection > results/P02_WeakAndResurrection.$gc.txt 2>&1
  for n in 1 2; do
    $J -Dshowgc=true -Dngc=$n P03_FreeTiming > results/P03_FreeTiming.$gc.ngc$n.txt 2>&1
  done
  $J -Dshowgc=true P04_Resurrection > results/P04_Resurrection.$gc.txt 2>&1
  $J -Dshowthreads=true P05_Order 50 > results/P05_Order.$gc.txt 2>&1
  $J -Dshowgc=true P06_Dependents > results/P06_Dependents.$gc.txt 2>&1
  $J -Dshowgc=true P07_AllocInFinalizer > results/P07_AllocInFinalizer.$gc.txt 2>&1
  # WhiteBox: without the flags, then with them (default tenuring), then with every young
  # survivor promoted and referent-based reference discovery. The 183-odd
  # "Warning: 'NoSuchMethodError' on register of ..." lines are counted, not kept.
  { echo "## without -XX:+WhiteBoxAPI (class on -Xbootclasspath/a)"
    $J -Xbootclasspath/a:"$T/wb.jar" P08_WhiteBox 2>&1 || true
    echo "## -XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI, class on the class path"
    $J -XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI -cp "$T/cls:$T/wb" P08_WhiteBox 2>&1 || true
  } > results/P08_WhiteBox.$gc.noflags.txt
  for v in default mtt0 mtt0-refpolicy1; do
    case $v in
      default) X="" ;;
      mtt0) X="-XX:MaxTenuringThreshold=0" ;;
      mtt0-refpolicy1) X="-XX:MaxTenuringThreshold=0 -XX:RefDiscoveryPolicy=1" ;;
    esac
    $J $X $WBOPTS P08_WhiteBox > "$T/wb.out" 2>&1 || true
    { echo "## options: $X $WBOPTS"
      echo "## stdout lines \"Warning: 'NoSuchMethodError' on register of sun.hotspot.WhiteBox::...\": $(grep -c "^Warning: 'NoSuchMethodError'" "$T/wb.out")"
      grep -v "^Warning: 'NoSuchMethodError'" "$T/wb.out"; } > results/P08_WhiteBox.$gc.$v.txt
  done
  # Determinism: 200 fresh JVMs.
  : > "$T/det"
  i=0
  while [ $i -lt 200 ]; do
    $J P09_Determinism > "$T/run" 2>&1
    md5sum < "$T/run" | cut -c1-12 >> "$T/det"
    sed 's/finalized(run order)=\[[^]]*\]//; s/ created=\[[^]]*\]//' "$T/run" | md5sum | cut -c1-12 >> "$T/det.sets"
    cp "$T/run" "$T/run.$(md5sum < "$T/run" | cut -c1-12)"
    i=$((i + 1))
  done
  { echo "## 200 runs of P09_Determinism: distinct whole outputs (count hash):"
    sort "$T/det" | uniq -c | sort -rn
    echo "## distinct outputs without finalizer run order and created ids:"
    sort "$T/det.sets" | uniq -c | sort -rn
    for h in $(sort "$T/det" | uniq -c | sort -rn | awk '{print $2}'); do
      echo "## output $h:"; cat "$T/run.$h"
    done; } > results/P09_Determinism.$gc.txt
  rm -f "$T"/run.* "$T/det" "$T/det.sets"
done
ls results | wc -l
