namespace ContactOpt.Envs.Cloth;

/// <summary>Kinds of springs of the sheet.</summary>
public enum SpringKind { Structural, Shear, Bending }

/// <summary>
/// A rectangular sheet of nu × nv vertices (index i = iv·nu + iu, material coordinates u = iu/(nu−1) across the
/// width, v = iv/(nv−1) along the length) with structural, shear and bending springs, each assigned to one patch of
/// an np × mp partition by its midpoint. Incidence lists (CSR) let vertex loops gather spring forces (gather form,
/// so parallel loops are deterministic).
/// </summary>
public sealed class ClothMesh
{
    public ClothMesh(int nu, int nv, int patchesU, int patchesV)
    {
        if (nu < 3 || nv < 3) throw new ArgumentException($"cloth resolution {nu}×{nv} is too small; need at least 3×3 vertices.");
        if (patchesU < 1 || patchesV < 1) throw new ArgumentException($"patch grid {patchesU}×{patchesV} must be at least 1×1.");
        if (patchesU > nu - 1 || patchesV > nv - 1)
            throw new ArgumentException($"patch grid {patchesU}×{patchesV} is finer than the {nu - 1}×{nv - 1} cells of the mesh.");
        Nu = nu; Nv = nv; PatchesU = patchesU; PatchesV = patchesV;
        var a = new List<int>(); var b = new List<int>(); var du = new List<int>(); var dv = new List<int>(); var kind = new List<SpringKind>();
        void Add(int iu, int iv, int ju, int jv, SpringKind k)
        {
            if (iu < 0 || iu >= nu || iv < 0 || iv >= nv || ju < 0 || ju >= nu || jv < 0 || jv >= nv) return;
            a.Add(iv * nu + iu); b.Add(jv * nu + ju); du.Add(ju - iu); dv.Add(jv - iv); kind.Add(k);
        }
        for (int iv = 0; iv < nv; iv++)
            for (int iu = 0; iu < nu; iu++)
            {
                Add(iu, iv, iu + 1, iv, SpringKind.Structural);
                Add(iu, iv, iu, iv + 1, SpringKind.Structural);
                Add(iu, iv, iu + 1, iv + 1, SpringKind.Shear);
                Add(iu + 1, iv, iu, iv + 1, SpringKind.Shear);
                Add(iu, iv, iu + 2, iv, SpringKind.Bending);
                Add(iu, iv, iu, iv + 2, SpringKind.Bending);
            }
        A = a.ToArray(); B = b.ToArray(); Du = du.ToArray(); Dv = dv.ToArray();
        Kind = kind.ToArray();
        Patch = new int[A.Length];
        for (int s = 0; s < A.Length; s++)
        {
            double um = ((A[s] % nu) + 0.5 * Du[s]) / (nu - 1), vm = ((A[s] / nu) + 0.5 * Dv[s]) / (nv - 1);
            int pu = Math.Min((int)(um * patchesU), patchesU - 1), pv = Math.Min((int)(vm * patchesV), patchesV - 1);
            Patch[s] = pv * patchesU + pu;
        }
        // Incidence (CSR): for vertex i the springs touching it and the sign of the force on it (+1 at A, −1 at B).
        var lists = Enumerable.Range(0, Vertices).Select(_ => new List<(int S, int Sign)>()).ToArray();
        for (int s = 0; s < A.Length; s++) { lists[A[s]].Add((s, +1)); lists[B[s]].Add((s, -1)); }
        IncidenceStart = new int[Vertices + 1];
        for (int i = 0; i < Vertices; i++) IncidenceStart[i + 1] = IncidenceStart[i] + lists[i].Count;
        IncidenceSpring = lists.SelectMany(l => l.Select(e => e.S)).ToArray();
        IncidenceSign = lists.SelectMany(l => l.Select(e => (double)e.Sign)).ToArray();
    }

    public int Nu { get; }
    public int Nv { get; }
    public int PatchesU { get; }
    public int PatchesV { get; }
    public int Patches => PatchesU * PatchesV;
    public int Vertices => Nu * Nv;
    public int Springs => A.Length;
    public int[] A { get; }
    public int[] B { get; }
    /// <summary>Grid offsets of a spring (cells along u and v): its rest length is √((du·W/(nu−1))² + (dv·L/(nv−1))²).</summary>
    public int[] Du { get; }
    public int[] Dv { get; }
    public SpringKind[] Kind { get; }
    public int[] Patch { get; }
    public int[] IncidenceStart { get; }
    public int[] IncidenceSpring { get; }
    public double[] IncidenceSign { get; }

    public int Index(int iu, int iv) => iv * Nu + iu;
    public double U(int i) => (double)(i % Nu) / (Nu - 1);
    public double V(int i) => (double)(i / Nu) / (Nv - 1);
    /// <summary>The four corners: (u, v) = (0, 0), (1, 0), (0, 1), (1, 1).</summary>
    public int[] Corners => [0, Nu - 1, (Nv - 1) * Nu, Nv * Nu - 1];
}
