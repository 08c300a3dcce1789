/* tensordsl's trampoline: a fixed, hand-written CPython extension (not a generated unit).
 *
 * Generated kernel units include no system header so that pycparser parses exactly what
 * gcc compiles; this file is different: it is shipped with the package, never rendered,
 * and it includes Python.h and numpy's headers (it implements a Python type), so it is
 * not pycparser-checked. `trampoline.py` builds it on first use with the configured
 * compiler and caches it like a kernel (the key covers the Python and numpy versions).
 *
 * ScalarCall(fnptr, in_types, accepts, order, out_types, kind, names, fallback,
 * keepalive) is the `__call__` of a Function whose graph is one 0-d kernel. A call giving
 * each of the `nin` inputs exactly one value (positional, then keywords by input name),
 * each an exact 0-d ndarray of the input's numpy type number
 * (aligned, native byte order), or, as `accepts[i]` allows, a Python float (a float64 or
 * float32 input), a Python int (float64 and int64 inputs) or a numpy scalar of exactly
 * the input's type, runs the kernel's raw entry `void raw(void *const *args)` (args:
 * pointers to each kernel input's value, kernel input k being argument order[k], then
 * to each output's) on new 0-d output arrays, with the GIL held. Every other call
 * (missing or repeated inputs, unknown keywords, lists, other types and dtypes, subclasses, a float32 cast that overflows or
 * underflows, an int that does not fit) returns `fallback(*args, **kwargs)`: the full
 * Python path, so its results and errors are the Python path's own; what the trampoline
 * takes itself, that path converts to the same value.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <float.h>

#define TD_MAX_OPERANDS 16 /* inputs, and outputs, at most (the loader checks) */
#if defined(NPY_ABI_VERSION) && NPY_ABI_VERSION >= 0x02000000 /* numpy 2 */
#define TD_ELSIZE(descr) PyDataType_ELSIZE(descr)
#else
#define TD_ELSIZE(descr) ((descr)->elsize)
#endif
#define TD_EXACT_INT 9007199254740992LL /* 2**53: ints up to this are exact doubles */

/* accepts[i]: bits saying which Python/numpy scalars argument i may be */
enum {
    TD_FLOAT_AS_F64 = 1,   /* a Python float, for a float64 input */
    TD_FLOAT_AS_F32 = 2,   /* a Python float cast to float32 (exact or normal results) */
    TD_INT_AS_F64 = 4,     /* a Python int of magnitude <= 2**53, for a float64 input */
    TD_INT_AS_I64 = 8,     /* a Python int that fits, for an int64 input */
    TD_NUMPY_SCALAR = 16,  /* a numpy scalar of exactly the input's type */
};
enum { TD_SINGLE = 0, TD_LIST = 1, TD_TUPLE = 2 };

typedef void (*td_raw_entry)(void *const *args);

typedef struct {
    PyObject_HEAD
    td_raw_entry fn;
    int nin, nker, nout, kind;
    int in_types[TD_MAX_OPERANDS];  /* numpy type numbers of the arguments */
    int order[TD_MAX_OPERANDS];     /* kernel input k is argument order[k] */
    int accepts[TD_MAX_OPERANDS];   /* TD_* bits */
    PyTypeObject *scalar_types[TD_MAX_OPERANDS]; /* the numpy scalar type of each input */
    PyArray_Descr *out_descrs[TD_MAX_OPERANDS];
    PyObject *names;    /* dict: input name -> position (keyword arguments) */
    PyObject *fallback;
    PyObject *keepalive; /* whatever keeps the kernel's library loaded */
} ScalarCall;

/* A Python float as float32 without the overflow/underflow numpy would report (it may
 * warn or raise on those under np.errstate): only NaN, exact or normal results qualify. */
static int td_float32_of(double d, float *out)
{
    float f = (float)d;
    float m = f < 0 ? -f : f;
    if (d == d && (double)f != d && !(m >= FLT_MIN && m <= FLT_MAX))
        return 0;
    *out = f;
    return 1;
}

/* given[i] = argument i: the positional ones, then keywords by input name (`names`,
 * the Function's name -> position dict). -1 unless every input gets exactly one value:
 * the fallback then binds (defaults, errors). No exception is left set. */
static int td_bind(ScalarCall *self, PyObject *args, PyObject *kwargs, PyObject **given)
{
    Py_ssize_t npos = PyTuple_GET_SIZE(args), nkw, pos = 0, i;
    PyObject *key, *value;

    nkw = kwargs == NULL ? 0 : PyDict_GET_SIZE(kwargs);
    if (npos + nkw != self->nin)
        return -1;
    for (i = 0; i < npos; i++)
        given[i] = PyTuple_GET_ITEM(args, i);
    if (nkw == 0)
        return 0;
    for (i = npos; i < self->nin; i++)
        given[i] = NULL;
    while (PyDict_Next(kwargs, &pos, &key, &value)) {
        PyObject *where = PyDict_GetItemWithError(self->names, key); /* borrowed */
        long at;
        if (where == NULL || !PyLong_CheckExact(where)) {
            PyErr_Clear();
            return -1;
        }
        at = PyLong_AsLong(where);
        if (at < npos || at >= self->nin || given[at] != NULL) {
            PyErr_Clear();
            return -1;
        }
        given[at] = value;
    }
    return 0;  /* nin values, none twice: every slot is filled */
}

static PyObject *scalar_call(PyObject *obj, PyObject *args, PyObject *kwargs)
{
    ScalarCall *self = (ScalarCall *)obj;
    void *values[TD_MAX_OPERANDS], *ptrs[2 * TD_MAX_OPERANDS];
    union { double f64; float f32; long long i64; char bytes[16]; } buf[TD_MAX_OPERANDS];
    PyObject *given[TD_MAX_OPERANDS], *outs[TD_MAX_OPERANDS];
    int nin = self->nin, nker = self->nker, i;

    if (td_bind(self, args, kwargs, given) < 0)
        goto fallback;
    for (i = 0; i < nin; i++) {
        PyObject *a = given[i];
        int accepts = self->accepts[i];
        values[i] = &buf[i];
        if (PyFloat_CheckExact(a)) {
            if (accepts & TD_FLOAT_AS_F64)
                buf[i].f64 = PyFloat_AS_DOUBLE(a);
            else if (!(accepts & TD_FLOAT_AS_F32)
                     || !td_float32_of(PyFloat_AS_DOUBLE(a), &buf[i].f32))
                goto fallback;
        } else if (PyLong_CheckExact(a) && (accepts & (TD_INT_AS_F64 | TD_INT_AS_I64))) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(a, &overflow);
            if (overflow || (v == -1 && PyErr_Occurred())) {
                PyErr_Clear();
                goto fallback;
            }
            if (accepts & TD_INT_AS_I64) {
                buf[i].i64 = v;
            } else if (v <= TD_EXACT_INT && v >= -TD_EXACT_INT) {
                buf[i].f64 = (double)v;
            } else {
                goto fallback;
            }
        } else if (Py_TYPE(a) == self->scalar_types[i] && (accepts & TD_NUMPY_SCALAR)) {
            PyArray_ScalarAsCtype(a, &buf[i]);
        } else if (PyArray_CheckExact(a)) {
            PyArrayObject *arr = (PyArrayObject *)a;
            if (PyArray_NDIM(arr) != 0 || PyArray_TYPE(arr) != self->in_types[i]
                    || !PyArray_ISNOTSWAPPED(arr) || !PyArray_ISALIGNED(arr))
                goto fallback;
            values[i] = PyArray_DATA(arr);
        } else {
            goto fallback;
        }
    }
    for (i = 0; i < nker; i++)
        ptrs[i] = values[self->order[i]];
    for (i = 0; i < self->nout; i++) {
        Py_INCREF(self->out_descrs[i]); /* stolen by NewFromDescr */
        outs[i] = PyArray_NewFromDescr(&PyArray_Type, self->out_descrs[i], 0, NULL, NULL,
                                       NULL, 0, NULL);
        if (outs[i] == NULL) {
            while (--i >= 0)
                Py_DECREF(outs[i]);
            return NULL;
        }
        ptrs[nker + i] = PyArray_DATA((PyArrayObject *)outs[i]);
    }
    self->fn(ptrs);
    if (self->kind == TD_SINGLE)
        return outs[0];
    {
        PyObject *seq = self->kind == TD_TUPLE ? PyTuple_New(self->nout)
                                               : PyList_New(self->nout);
        if (seq == NULL) {
            for (i = 0; i < self->nout; i++)
                Py_DECREF(outs[i]);
            return NULL;
        }
        for (i = 0; i < self->nout; i++) {  /* the references move into seq */
            if (self->kind == TD_TUPLE)
                PyTuple_SET_ITEM(seq, i, outs[i]);
            else
                PyList_SET_ITEM(seq, i, outs[i]);
        }
        return seq;
    }
fallback:
    return PyObject_Call(self->fallback, args, kwargs);
}

static int td_int_tuple(PyObject *seq, int *out, int *count, const char *what)
{
    Py_ssize_t n, i;
    if (!PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "ScalarCall: %s must be a tuple", what);
        return -1;
    }
    n = PyTuple_GET_SIZE(seq);
    if (n > TD_MAX_OPERANDS) {
        PyErr_Format(PyExc_ValueError, "ScalarCall: at most %d %s", TD_MAX_OPERANDS, what);
        return -1;
    }
    for (i = 0; i < n; i++) {
        long v = PyLong_AsLong(PyTuple_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred())
            return -1;
        out[i] = (int)v;
    }
    *count = (int)n;
    return 0;
}

static PyObject *scalar_call_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *address, *in_types, *accepts, *order, *out_types, *names, *fallback, *keepalive;
    int kind, naccepts, out_nums[TD_MAX_OPERANDS], i;
    ScalarCall *self;
    void *fn;

    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "ScalarCall takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OOOOOiO!OO:ScalarCall", &address, &in_types, &accepts,
                          &order, &out_types, &kind, &PyDict_Type, &names, &fallback,
                          &keepalive))
        return NULL;
    fn = PyLong_AsVoidPtr(address);
    if (fn == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "ScalarCall: null entry address");
        return NULL;
    }
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "ScalarCall: fallback must be callable");
        return NULL;
    }
    if (kind < TD_SINGLE || kind > TD_TUPLE) {
        PyErr_SetString(PyExc_ValueError, "ScalarCall: kind must be 0, 1 or 2");
        return NULL;
    }
    self = (ScalarCall *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->fn = (td_raw_entry)fn;
    self->kind = kind;
    if (td_int_tuple(in_types, self->in_types, &self->nin, "in_types") < 0
            || td_int_tuple(accepts, self->accepts, &naccepts, "accepts") < 0
            || td_int_tuple(order, self->order, &self->nker, "order") < 0
            || td_int_tuple(out_types, out_nums, &self->nout, "out_types") < 0)
        goto fail;
    for (i = 0; i < self->nker; i++) {
        if (self->order[i] < 0 || self->order[i] >= self->nin) {
            PyErr_SetString(PyExc_ValueError, "ScalarCall: order out of range");
            goto fail;
        }
    }
    if (naccepts != self->nin || self->nout < 1 || (kind == TD_SINGLE && self->nout != 1)) {
        PyErr_SetString(PyExc_ValueError, "ScalarCall: inconsistent operand counts");
        goto fail;
    }
    for (i = 0; i < self->nout; i++) {
        self->out_descrs[i] = PyArray_DescrFromType(out_nums[i]);
        if (self->out_descrs[i] == NULL)
            goto fail;
    }
    for (i = 0; i < self->nin; i++) {
        PyArray_Descr *descr = PyArray_DescrFromType(self->in_types[i]);
        if (descr == NULL)
            goto fail;
        if (TD_ELSIZE(descr) > 16)  /* buf's size */
            self->accepts[i] &= ~TD_NUMPY_SCALAR;
        self->scalar_types[i] = descr->typeobj;
        Py_INCREF(descr->typeobj);
        Py_DECREF(descr);
    }
    Py_INCREF(names);
    self->names = names;
    Py_INCREF(fallback);
    self->fallback = fallback;
    Py_INCREF(keepalive);
    self->keepalive = keepalive;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static int scalar_call_traverse(PyObject *obj, visitproc visit, void *arg)
{
    ScalarCall *self = (ScalarCall *)obj;
    Py_VISIT(self->names);
    Py_VISIT(self->fallback);
    Py_VISIT(self->keepalive);
    return 0;
}

static int scalar_call_clear(PyObject *obj)
{
    ScalarCall *self = (ScalarCall *)obj;
    Py_CLEAR(self->names);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->keepalive);
    return 0;
}

static void scalar_call_dealloc(PyObject *obj)
{
    ScalarCall *self = (ScalarCall *)obj;
    int i;
    PyObject_GC_UnTrack(obj);
    scalar_call_clear(obj);
    for (i = 0; i < TD_MAX_OPERANDS; i++) {
        Py_CLEAR(self->out_descrs[i]);
        Py_CLEAR(self->scalar_types[i]);
    }
    Py_TYPE(obj)->tp_free(obj);
}

static PyObject *scalar_call_repr(PyObject *obj)
{
    ScalarCall *self = (ScalarCall *)obj;
    return PyUnicode_FromFormat("<tensordsl trampoline: %d in, %d out>", self->nin,
                                self->nout);
}

static PyTypeObject ScalarCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_td_trampoline.ScalarCall",
    .tp_doc = "A 0-d kernel's call: fast for floats and exact 0-d arrays, else fallback.",
    .tp_basicsize = sizeof(ScalarCall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = scalar_call_new,
    .tp_call = scalar_call,
    .tp_traverse = scalar_call_traverse,
    .tp_clear = scalar_call_clear,
    .tp_dealloc = scalar_call_dealloc,
    .tp_repr = scalar_call_repr,
};

static struct PyModuleDef td_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_td_trampoline",
    .m_doc = "tensordsl's C trampoline (see tensordsl/backends/c/trampoline.py)",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__td_trampoline(void)
{
    PyObject *module;
    import_array();
    if (PyType_Ready(&ScalarCallType) < 0)
        return NULL;
    module = PyModule_Create(&td_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&ScalarCallType);
    if (PyModule_AddObject(module, "ScalarCall", (PyObject *)&ScalarCallType) < 0) {
        Py_DECREF(&ScalarCallType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
