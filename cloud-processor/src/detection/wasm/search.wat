;; The k-NN search of KnnScale.step (../knn.ts): a sweep over every reference, four lag slots
;; at a time in two lanes of f64, and the exact search of the few that pass.
;;
;; Memory layout: `base` is the address of the newest averaged value; the value `age` pushes
;; ago is at base + 8*age (ages grow with addresses, as lag slots do). The reference of age s
;; is the lag vector starting there: values at base + 8s + i*stepB, i = 0 .. dim-1.
;;
;; For lag slots j = 0 .. count-1, with x(j) = the value at p + j*strideB and y(j) the one
;; spanB above it (p is the value of age span):
;;   acc[j] = (acc[j] + (newest - x(j))^2) - (leaving - y(j))^2
;; Each lane does the same IEEE double operations in the same order as the scalar code
;; (WebAssembly never fuses a multiply and an add), so acc is bit-identical to it. Slots
;; count .. total-1 (new ones, or all of them every so often against drift) get their exact
;; squared distance instead.
;;
;; A slot whose acc[j] is within tol of the n-th best distance so far (best[n-1]) is measured
;; exactly at once: its reference is at age s = span + j*stride, its squared distance to the
;; query is summed term by term from the newest and abandoned as soon as it exceeds the n-th
;; best, and it enters best/age/next ordered by (distance, age), ties to the more recent,
;; never twice. Once the n best are exact repeats (distance 0), an older reference can at most
;; tie, so it is skipped. These are the steps of the plain search (knn-reference.ts), in the
;; order KnnScale describes: query, seeds, then every slot.
;;
;; All pointers are byte addresses in the exported memory. The stride-2 loop loads up to 8
;; bytes above the highest value it uses (a lane that is then discarded); the arena keeps a
;; guard above its last block so such a load never leaves the memory.
;;
;; `search` calls nothing: a call inside it, even one never taken, made V8 keep the vectors in
;; memory (2.4 instead of 0.8 ns a slot in the first version; 2.67 against 2.5 us a point for
;; the detector with $offer called from the slot check). So that check repeats $offer's steps
;; inline, and the seeds are offered by a separate export, `seed`, called just before.
(module
  (memory (export "memory") 1)

  ;; Measures the reference of age s (exact squared distance, summed term by term from the
  ;; newest, abandoned once past `worst`) and offers it to the n best: it enters ordered by
  ;; (distance, age), ties to the more recent, never twice; `next` gets what followed it.
  (func $offer (param $s i32) (param $worst f64) (param $worstAge i32) (param $base i32) (param $query i32) (param $dim i32) (param $stepB i32)
        (param $best i32) (param $age i32) (param $next i32) (param $n i32)
        (local $ref i32) (local $i i32) (local $d f64) (local $e f64) (local $v f64)
    (block $out
      ;; exact squared distance, abandoned past the n-th best
      (local.set $ref (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 3))))
      (local.set $d (f64.const 0))
      (local.set $i (i32.const 0))
      (loop $terms
        (local.set $e (f64.sub
          (f64.load (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 3))))
          (f64.load (i32.add (local.get $ref) (i32.mul (local.get $i) (local.get $stepB))))))
        (local.set $d (f64.add (local.get $d) (f64.mul (local.get $e) (local.get $e))))
        (br_if $out (f64.gt (local.get $d) (local.get $worst)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $terms (i32.lt_s (local.get $i) (local.get $dim))))
      ;; (d, s) must come before the n-th best
      (br_if $out (i32.eqz (i32.or
        (f64.lt (local.get $d) (local.get $worst))
        (i32.and (f64.eq (local.get $d) (local.get $worst))
          (i32.and (i32.ge_s (local.get $worstAge) (i32.const 0)) (i32.lt_s (local.get $s) (local.get $worstAge)))))))
      ;; and not be there already
      (local.set $i (i32.const 0))
      (loop $dup
        (br_if $out (i32.eq (i32.load (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2)))) (local.get $s)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $dup (i32.lt_s (local.get $i) (local.get $n))))
      ;; insert at i, shifting the worse ones down
      (local.set $i (i32.sub (local.get $n) (i32.const 1)))
      (block $placed
        (loop $shift
          (br_if $placed (i32.eqz (local.get $i)))
          (local.set $v (f64.load (i32.add (local.get $best) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))))
          (br_if $placed (i32.eqz (i32.or
            (f64.gt (local.get $v) (local.get $d))
            (i32.and (f64.eq (local.get $v) (local.get $d))
              (i32.gt_s (i32.load (i32.add (local.get $age) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))) (local.get $s))))))
          (f64.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
          (i32.store (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2)))
            (i32.load (i32.add (local.get $age) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))))
          (f64.store (i32.add (local.get $next) (i32.shl (local.get $i) (i32.const 3)))
            (f64.load (i32.add (local.get $next) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $shift)))
      (f64.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
      (i32.store (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
      ;; what followed this neighbour: the value one push after its end (s >= span >= 1)
      (f64.store (i32.add (local.get $next) (i32.shl (local.get $i) (i32.const 3)))
        (f64.load (i32.sub (local.get $ref) (i32.const 8))))
    ))

  ;; Before a search: the query (the newest lag vector, newest first), no neighbours, then the
  ;; seeds (n distinct references, chosen by the caller) measured and offered, so the bound
  ;; is tight from the start.
  (func (export "seed") (param $base i32) (param $query i32) (param $dim i32) (param $stepB i32)
        (param $best i32) (param $age i32) (param $next i32) (param $n i32) (param $seeds i32)
        (local $i i32) (local $k i32) (local $last i32)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (loop $fill
      (f64.store (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 3)))
        (f64.load (i32.add (local.get $base) (i32.mul (local.get $i) (local.get $stepB)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_s (local.get $i) (local.get $dim))))
    (local.set $i (i32.const 0))
    (loop $empty
      (f64.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 3))) (f64.const inf))
      (i32.store (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2))) (i32.const -1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $empty (i32.lt_s (local.get $i) (local.get $n))))
    (local.set $k (i32.const 0))
    (loop $seed
      (call $offer (i32.load (i32.add (local.get $seeds) (i32.shl (local.get $k) (i32.const 2))))
        (f64.load (i32.add (local.get $best) (local.get $last)))
        (i32.load (i32.add (local.get $age) (i32.shr_u (local.get $last) (i32.const 1))))
        (local.get $base) (local.get $query) (local.get $dim) (local.get $stepB) (local.get $best) (local.get $age) (local.get $next) (local.get $n))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $seed (i32.lt_s (local.get $k) (local.get $n))))
  )

  (func (export "search")
        (param $acc i32) (param $count i32) (param $p i32) (param $spanB i32) (param $strideB i32)
        (param $newest f64) (param $leaving f64) (param $tol f64)
        (param $base i32) (param $query i32) (param $dim i32) (param $stepB i32)
        (param $best i32) (param $age i32) (param $next i32) (param $n i32)
        (param $span i32) (param $stride i32) (param $total i32)
        (local $j i32) (local $q i32) (local $r i32) (local $at i32) (local $k i32) (local $g i32)
        (local $i i32) (local $s i32) (local $ref i32) (local $last i32) (local $worstAge i32)
        (local $a v128) (local $b v128) (local $x v128) (local $y v128) (local $vn v128) (local $vl v128) (local $vlim v128)
        (local $v f64) (local $e f64) (local $d f64) (local $worst f64)
    (local.set $vn (f64x2.splat (local.get $newest)))
    (local.set $vl (f64x2.splat (local.get $leaving)))
    (local.set $q (local.get $p))
    (local.set $r (i32.add (local.get $p) (local.get $spanB)))
    (local.set $at (local.get $acc))
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $worst (f64.load (i32.add (local.get $best) (local.get $last))))
    (local.set $worstAge (i32.load (i32.add (local.get $age) (i32.shr_u (local.get $last) (i32.const 1)))))
    (local.set $vlim (f64x2.splat (f64.add (local.get $worst) (local.get $tol))))

    (block $swept
      (loop $groups
        ;; $g: slots in this group, 4 while four are left, then one at a time.
        (br_if $swept (i32.ge_s (local.get $j) (local.get $total)))
        (local.set $g (i32.const 4))
        (block $check
          (block $exact
          (block $scalar
            (if (i32.eq (local.get $strideB) (i32.const 8))
              (then
                ;; stride 1: x(j), x(j+1) are adjacent: one load per pair.
                (loop $stride1
                  (br_if $scalar (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $count)))
                  (local.set $x (f64x2.sub (local.get $vn) (v128.load (local.get $q))))
                  (local.set $y (f64x2.sub (local.get $vl) (v128.load (local.get $r))))
                  (local.set $a (f64x2.sub (f64x2.add (v128.load offset=0 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                  (v128.store offset=0 (local.get $at) (local.get $a))
                  (local.set $x (f64x2.sub (local.get $vn) (v128.load offset=16 (local.get $q))))
                  (local.set $y (f64x2.sub (local.get $vl) (v128.load offset=16 (local.get $r))))
                  (local.set $b (f64x2.sub (f64x2.add (v128.load offset=16 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                  (v128.store offset=16 (local.get $at) (local.get $b))
                  (br_if $check (v128.any_true (v128.or (f64x2.le (local.get $a) (local.get $vlim)) (f64x2.le (local.get $b) (local.get $vlim)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 4)))
                  (local.set $q (i32.add (local.get $q) (i32.const 32)))
                  (local.set $r (i32.add (local.get $r) (i32.const 32)))
                  (local.set $at (i32.add (local.get $at) (i32.const 32)))
                  (br $stride1))
              )
              (else (if (i32.eq (local.get $strideB) (i32.const 16))
                (then
                  ;; stride 2: x(j), x(j+1) are the lower lanes of two adjacent pairs.
                  (loop $stride2
                    (br_if $scalar (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $count)))
                    (local.set $x (f64x2.sub (local.get $vn) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q)))))
                    (local.set $y (f64x2.sub (local.get $vl) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (v128.load (local.get $r)) (v128.load offset=16 (local.get $r)))))
                    (local.set $a (f64x2.sub (f64x2.add (v128.load offset=0 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                    (v128.store offset=0 (local.get $at) (local.get $a))
                    (local.set $x (f64x2.sub (local.get $vn) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (v128.load offset=32 (local.get $q)) (v128.load offset=48 (local.get $q)))))
                    (local.set $y (f64x2.sub (local.get $vl) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (v128.load offset=32 (local.get $r)) (v128.load offset=48 (local.get $r)))))
                    (local.set $b (f64x2.sub (f64x2.add (v128.load offset=16 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                    (v128.store offset=16 (local.get $at) (local.get $b))
                    (br_if $check (v128.any_true (v128.or (f64x2.le (local.get $a) (local.get $vlim)) (f64x2.le (local.get $b) (local.get $vlim)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (local.set $q (i32.add (local.get $q) (i32.const 64)))
                    (local.set $r (i32.add (local.get $r) (i32.const 64)))
                    (local.set $at (i32.add (local.get $at) (i32.const 32)))
                    (br $stride2))
                )
                (else
                  ;; any stride: one load per lane.
                  (loop $strideN
                    (br_if $scalar (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $count)))
                    (local.set $x (f64x2.sub (local.get $vn) (v128.load64_lane 1 (i32.add (local.get $q) (i32.mul (local.get $strideB) (i32.const 1))) (v128.load64_zero (local.get $q)))))
                    (local.set $y (f64x2.sub (local.get $vl) (v128.load64_lane 1 (i32.add (local.get $r) (i32.mul (local.get $strideB) (i32.const 1))) (v128.load64_zero (local.get $r)))))
                    (local.set $a (f64x2.sub (f64x2.add (v128.load offset=0 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                    (v128.store offset=0 (local.get $at) (local.get $a))
                    (local.set $x (f64x2.sub (local.get $vn) (v128.load64_lane 1 (i32.add (local.get $q) (i32.mul (local.get $strideB) (i32.const 3))) (v128.load64_zero (i32.add (local.get $q) (i32.mul (local.get $strideB) (i32.const 2)))))))
                    (local.set $y (f64x2.sub (local.get $vl) (v128.load64_lane 1 (i32.add (local.get $r) (i32.mul (local.get $strideB) (i32.const 3))) (v128.load64_zero (i32.add (local.get $r) (i32.mul (local.get $strideB) (i32.const 2)))))))
                    (local.set $b (f64x2.sub (f64x2.add (v128.load offset=16 (local.get $at)) (f64x2.mul (local.get $x) (local.get $x))) (f64x2.mul (local.get $y) (local.get $y))))
                    (v128.store offset=16 (local.get $at) (local.get $b))
                    (br_if $check (v128.any_true (v128.or (f64x2.le (local.get $a) (local.get $vlim)) (f64x2.le (local.get $b) (local.get $vlim)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (local.set $q (i32.add (local.get $q) (i32.shl (local.get $strideB) (i32.const 2))))
                    (local.set $r (i32.add (local.get $r) (i32.shl (local.get $strideB) (i32.const 2))))
                    (local.set $at (i32.add (local.get $at) (i32.const 32)))
                    (br $strideN))
                )))))
          ;; fewer than four left: one slot, the same operations in one lane.
          (local.set $g (i32.const 1))
          (br_if $exact (i32.ge_s (local.get $j) (local.get $count)))
          (local.set $e (f64.sub (local.get $newest) (f64.load (local.get $q))))
          (local.set $v (f64.add (f64.load (local.get $at)) (f64.mul (local.get $e) (local.get $e))))
          (local.set $e (f64.sub (local.get $leaving) (f64.load (local.get $r))))
          (f64.store (local.get $at) (f64.sub (local.get $v) (f64.mul (local.get $e) (local.get $e))))
          (br $check))
          ;; past count: the exact squared distance, summed term by term from the newest.
          (local.set $ref (i32.add (local.get $base) (i32.shl (i32.add (local.get $span) (i32.mul (local.get $j) (local.get $stride))) (i32.const 3))))
          (local.set $d (f64.const 0))
          (local.set $i (i32.const 0))
          (loop $all
            (local.set $e (f64.sub
              (f64.load (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 3))))
              (f64.load (i32.add (local.get $ref) (i32.mul (local.get $i) (local.get $stepB))))))
            (local.set $d (f64.add (local.get $d) (f64.mul (local.get $e) (local.get $e))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $all (i32.lt_s (local.get $i) (local.get $dim))))
          (f64.store (local.get $at) (local.get $d)))

        ;; slots j .. j+g-1 (already stored in acc): measure those within tol of the n-th best.
        (local.set $k (i32.const 0))
        (loop $lanes
          (block $skip
            (br_if $skip (i32.eqz (f64.le
              (f64.load (i32.add (local.get $at) (i32.shl (local.get $k) (i32.const 3))))
              (f64.add (local.get $worst) (local.get $tol)))))
            (local.set $s (i32.add (local.get $span) (i32.mul (i32.add (local.get $j) (local.get $k)) (local.get $stride))))
            (br_if $skip (i32.and (f64.eq (local.get $worst) (f64.const 0)) (i32.gt_s (local.get $s) (local.get $worstAge))))
            ;; exact squared distance, abandoned past the n-th best
            (local.set $ref (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 3))))
            (local.set $d (f64.const 0))
            (local.set $i (i32.const 0))
            (loop $terms
              (local.set $e (f64.sub
                (f64.load (i32.add (local.get $query) (i32.shl (local.get $i) (i32.const 3))))
                (f64.load (i32.add (local.get $ref) (i32.mul (local.get $i) (local.get $stepB))))))
              (local.set $d (f64.add (local.get $d) (f64.mul (local.get $e) (local.get $e))))
              (br_if $skip (f64.gt (local.get $d) (local.get $worst)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $terms (i32.lt_s (local.get $i) (local.get $dim))))
            ;; (d, s) must come before the n-th best
            (br_if $skip (i32.eqz (i32.or
              (f64.lt (local.get $d) (local.get $worst))
              (i32.and (f64.eq (local.get $d) (local.get $worst))
                (i32.and (i32.ge_s (local.get $worstAge) (i32.const 0)) (i32.lt_s (local.get $s) (local.get $worstAge)))))))
            ;; and not be there already
            (local.set $i (i32.const 0))
            (loop $dup
              (br_if $skip (i32.eq (i32.load (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2)))) (local.get $s)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $dup (i32.lt_s (local.get $i) (local.get $n))))
            ;; insert at i, shifting the worse ones down
            (local.set $i (i32.sub (local.get $n) (i32.const 1)))
            (block $placed
              (loop $shift
                (br_if $placed (i32.eqz (local.get $i)))
                (local.set $v (f64.load (i32.add (local.get $best) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))))
                (br_if $placed (i32.eqz (i32.or
                  (f64.gt (local.get $v) (local.get $d))
                  (i32.and (f64.eq (local.get $v) (local.get $d))
                    (i32.gt_s (i32.load (i32.add (local.get $age) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))) (local.get $s))))))
                (f64.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
                (i32.store (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2)))
                  (i32.load (i32.add (local.get $age) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))))
                (f64.store (i32.add (local.get $next) (i32.shl (local.get $i) (i32.const 3)))
                  (f64.load (i32.add (local.get $next) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br $shift)))
            (f64.store (i32.add (local.get $best) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
            (i32.store (i32.add (local.get $age) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
            ;; what followed this neighbour: the value one push after its end (s >= span >= 1)
            (f64.store (i32.add (local.get $next) (i32.shl (local.get $i) (i32.const 3)))
              (f64.load (i32.sub (local.get $ref) (i32.const 8))))
            (local.set $worst (f64.load (i32.add (local.get $best) (local.get $last))))
            (local.set $worstAge (i32.load (i32.add (local.get $age) (i32.shr_u (local.get $last) (i32.const 1)))))
            (local.set $vlim (f64x2.splat (f64.add (local.get $worst) (local.get $tol)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $lanes (i32.lt_s (local.get $k) (local.get $g))))
        ;; Ages only grow from here: once the n best are exact repeats older than none of the
        ;; slots left, no slot can enter, so the vector test stops calling for this check.
        (if (i32.and (f64.eq (local.get $worst) (f64.const 0))
              (i32.gt_s (i32.add (local.get $span) (i32.mul (i32.add (local.get $j) (local.get $g)) (local.get $stride))) (local.get $worstAge)))
          (then (local.set $vlim (f64x2.splat (f64.const -inf)))))
        (local.set $j (i32.add (local.get $j) (local.get $g)))
        (local.set $q (i32.add (local.get $q) (i32.mul (local.get $strideB) (local.get $g))))
        (local.set $r (i32.add (local.get $r) (i32.mul (local.get $strideB) (local.get $g))))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $g) (i32.const 3))))
        (br $groups))))
)
