#pragma OPENCL EXTENSION cl_khr_fp64 : enable  
#pragma OPENCL EXTENSION cl_khr_fp16 : enable  
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable  
__kernel void sixteenBit(__global long *_kernel_context, __constant uchar *_constant_region, __local uchar *_local_region, __global int *_atomics, __global uchar *x, __global uchar *w, __global uchar *table, __global uchar *bias, __global uchar *out, __private int tokens, __private int in, __private int outDim, __private int hasBias)
{
  int i_44, i_43, i_46, i_45, i_40, i_39, i_42, i_41, i_52, i_51, i_54, i_53, i_48, i_47, i_50, i_49, i_28, i_27, i_30, i_29, i_24, i_23, i_26, i_25, i_36, i_35, i_38, i_37, i_32, i_31, i_34, i_33, i_76, i_75, i_78, i_77, i_72, i_71, i_74, i_73, i_84, i_83, i_86, i_80, i_79, i_82, i_81, i_60, i_59, i_62, i_61, i_56, i_55, i_58, i_57, i_68, i_67, i_70, i_69, i_64, i_63, i_66, i_65, i_232, i_234, i_115, i_112, i_241, i_91, i_88, i_87, i_100, i_12, i_11, i_14, i_13, i_8, i_7, i_10, i_9, i_20, i_19, i_22, i_21, i_16, i_15, i_18, i_17, i_124; 
  bool b_89, b_233, b_90, b_122, b_123, b_235, b_113, b_98, b_114, b_99; 
  short sh_105, sh_129; 
  ulong ul_119, ul_245, ul_95, ul_2, ul_130, ul_3, ul_131, ul_0, ul_128, ul_1, ul_4, ul_132, ul_133, ul_106, ul_107, ul_104, ul_239, ul_108, ul_109; 
  float f_219, f_220, f_221, f_222, f_215, f_216, f_217, f_218, f_227, f_228, f_229, f_230, f_223, f_224, f_225, f_226, f_231, f_246, f_240, f_187, f_188, f_189, f_190, f_183, f_184, f_185, f_186, f_195, f_196, f_197, f_198, f_191, f_192, f_193, f_194, f_203, f_204, f_205, f_206, f_199, f_200, f_201, f_202, f_211, f_212, f_213, f_214, f_207, f_208, f_209, f_210, f_96, f_97, f_110, f_111, f_85, f_155, f_156, f_157, f_158, f_151, f_152, f_153, f_154, f_163, f_164, f_165, f_166, f_159, f_160, f_161, f_162, f_171, f_172, f_173, f_174, f_167, f_168, f_169, f_170, f_179, f_180, f_181, f_182, f_175, f_176, f_177, f_178, f_120, f_121, f_134, f_139, f_140, f_141, f_142, f_135, f_136, f_137, f_138, f_147, f_148, f_149, f_150, f_143, f_144, f_145, f_146; 
  long l_94, l_126, l_93, l_125, l_92, l_102, l_101, l_127, l_238, l_237, l_236, l_103, l_118, l_117, l_116, l_244, l_243, l_242; 

  // BLOCK 0
  ul_0  =  (ulong) x;
  ul_1  =  (ulong) w;
  ul_2  =  (ulong) table;
  ul_3  =  (ulong) bias;
  ul_4  =  (ulong) out;
  __local float adf_5[512];
  __local float adf_6[512];
  i_7  =  get_local_id(1);
  i_8  =  i_7 << 5;
  i_9  =  i_8 + 31;
  i_10  =  get_local_id(0);
  i_11  =  i_10 << 5;
  i_12  =  i_11 + 31;
  i_13  =  i_8 + 30;
  i_14  =  i_11 + 30;
  i_15  =  i_8 + 29;
  i_16  =  i_11 + 29;
  i_17  =  i_8 + 28;
  i_18  =  i_11 + 28;
  i_19  =  i_8 + 27;
  i_20  =  i_11 + 27;
  i_21  =  i_8 + 26;
  i_22  =  i_11 + 26;
  i_23  =  i_8 + 25;
  i_24  =  i_11 + 25;
  i_25  =  i_8 + 24;
  i_26  =  i_11 + 24;
  i_27  =  i_8 + 23;
  i_28  =  i_11 + 23;
  i_29  =  i_8 + 22;
  i_30  =  i_11 + 22;
  i_31  =  i_8 + 21;
  i_32  =  i_11 + 21;
  i_33  =  i_8 + 20;
  i_34  =  i_11 + 20;
  i_35  =  i_8 + 19;
  i_36  =  i_11 + 19;
  i_37  =  i_8 + 18;
  i_38  =  i_11 + 18;
  i_39  =  i_8 + 17;
  i_40  =  i_11 + 17;
  i_41  =  i_8 + 16;
  i_42  =  i_11 + 16;
  i_43  =  i_8 + 15;
  i_44  =  i_11 + 15;
  i_45  =  i_8 + 14;
  i_46  =  i_11 + 14;
  i_47  =  i_8 + 13;
  i_48  =  i_11 + 13;
  i_49  =  i_8 + 12;
  i_50  =  i_11 + 12;
  i_51  =  i_8 + 11;
  i_52  =  i_11 + 11;
  i_53  =  i_8 + 10;
  i_54  =  i_11 + 10;
  i_55  =  i_8 + 9;
  i_56  =  i_11 + 9;
  i_57  =  i_8 + 8;
  i_58  =  i_11 + 8;
  i_59  =  i_8 + 7;
  i_60  =  i_11 + 7;
  i_61  =  i_8 + 6;
  i_62  =  i_11 + 6;
  i_63  =  i_8 + 5;
  i_64  =  i_11 + 5;
  i_65  =  i_8 + 4;
  i_66  =  i_11 + 4;
  i_67  =  i_8 + 3;
  i_68  =  i_11 + 3;
  i_69  =  i_8 + 2;
  i_70  =  i_11 + 2;
  i_71  =  i_8 + 1;
  i_72  =  i_11 + 1;
  i_73  =  i_7 << 1;
  i_74  =  i_73 + 1;
  i_75  =  i_74 + i_11;
  i_76  =  i_73 + i_11;
  i_77  =  get_group_id(1);
  i_78  =  i_77 << 4;
  i_79  =  i_78 + i_10;
  i_80  =  i_79 << 8;
  i_81  =  get_group_id(0);
  i_82  =  i_81 << 4;
  i_83  =  i_82 + i_10;
  i_84  =  i_83 << 8;
  // BLOCK 1 MERGES [0 22 ]
  f_85  =  0.0F;
  i_86  =  0;
  for(;i_86 < 8;)
  {
    // BLOCK 2
    i_87  =  i_86 << 5;
    i_88  =  i_87 + i_73;
    b_89  =  i_88 < 256;
    if(b_89)
    {
      // BLOCK 3
      b_90  =  i_83 < 16;
      if(b_90)
      {
        // BLOCK 4
        i_91  =  i_84 + i_88;
        l_92  =  (long) i_91;
        l_93  =  l_92 + 4L;
        l_94  =  l_93 << 2;
        ul_95  =  ul_0 + l_94;
        f_96  =  *((__global float *) ul_95);
        f_97  =  f_96;
      }  // B3
      else
      {
        // BLOCK 5
        f_97  =  0.0F;
      }  // B3
    }  // B2
    else
    {
      // BLOCK 6
      f_97  =  0.0F;
    }  // B2
    // BLOCK 7 MERGES [6 5 4 ]
    b_98  =  i_88 < 256;
    if(b_98)
    {
      // BLOCK 8
      b_99  =  i_79 < 256;
      if(b_99)
      {
        // BLOCK 9
        i_100  =  i_80 + i_88;
        l_101  =  (long) i_100;
        l_102  =  l_101 + 8L;
        l_103  =  l_102 << 1;
        ul_104  =  ul_1 + l_103;
        sh_105  =  *((__global short *) ul_104);
        ul_106  =  sh_105 & 65535UL;
        ul_107  =  ul_106 + 4L;
        ul_108  =  ul_107 << 2;
        ul_109  =  ul_2 + ul_108;
        f_110  =  *((__global float *) ul_109);
        f_111  =  f_110;
      }  // B8
      else
      {
        // BLOCK 10
        f_111  =  0.0F;
      }  // B8
    }  // B7
    else
    {
      // BLOCK 11
      f_111  =  0.0F;
    }  // B7
    // BLOCK 12 MERGES [11 10 9 ]
    adf_5[i_76]  =  f_97;
    adf_6[i_76]  =  f_111;
    i_112  =  i_87 + i_74;
    b_113  =  i_112 < 256;
    if(b_113)
    {
      // BLOCK 13
      b_114  =  i_83 < 16;
      if(b_114)
      {
        // BLOCK 14
        i_115  =  i_84 + i_112;
        l_116  =  (long) i_115;
        l_117  =  l_116 + 4L;
        l_118  =  l_117 << 2;
        ul_119  =  ul_0 + l_118;
        f_120  =  *((__global float *) ul_119);
        f_121  =  f_120;
      }  // B13
      else
      {
        // BLOCK 15
        f_121  =  0.0F;
      }  // B13
    }  // B12
    else
    {
      // BLOCK 16
      f_121  =  0.0F;
    }  // B12
    // BLOCK 17 MERGES [16 15 14 ]
    b_122  =  i_112 < 256;
    if(b_122)
    {
      // BLOCK 18
      b_123  =  i_79 < 256;
      if(b_123)
      {
        // BLOCK 19
        i_124  =  i_80 + i_112;
        l_125  =  (long) i_124;
        l_126  =  l_125 + 8L;
        l_127  =  l_126 << 1;
        ul_128  =  ul_1 + l_127;
        sh_129  =  *((__global short *) ul_128);
        ul_130  =  sh_129 & 65535UL;
        ul_131  =  ul_130 + 4L;
        ul_132  =  ul_131 << 2;
        ul_133  =  ul_2 + ul_132;
        f_134  =  *((__global float *) ul_133);
        f_135  =  f_134;
      }  // B18
      else
      {
        // BLOCK 20
        f_135  =  0.0F;
      }  // B18
    }  // B17
    else
    {
      // BLOCK 21
      f_135  =  0.0F;
    }  // B17
    // BLOCK 22 MERGES [21 20 19 ]
    adf_5[i_75]  =  f_121;
    adf_6[i_75]  =  f_135;
    barrier(CLK_LOCAL_MEM_FENCE);
    f_136  =  adf_5[i_11];
    f_137  =  adf_6[i_8];
    f_138  =  adf_5[i_72];
    f_139  =  adf_6[i_71];
    f_140  =  adf_5[i_70];
    f_141  =  adf_6[i_69];
    f_142  =  adf_5[i_68];
    f_143  =  adf_6[i_67];
    f_144  =  adf_5[i_66];
    f_145  =  adf_6[i_65];
    f_146  =  adf_5[i_64];
    f_147  =  adf_6[i_63];
    f_148  =  adf_5[i_62];
    f_149  =  adf_6[i_61];
    f_150  =  adf_5[i_60];
    f_151  =  adf_6[i_59];
    f_152  =  adf_5[i_58];
    f_153  =  adf_6[i_57];
    f_154  =  adf_5[i_56];
    f_155  =  adf_6[i_55];
    f_156  =  adf_5[i_54];
    f_157  =  adf_6[i_53];
    f_158  =  adf_5[i_52];
    f_159  =  adf_6[i_51];
    f_160  =  adf_5[i_50];
    f_161  =  adf_6[i_49];
    f_162  =  adf_5[i_48];
    f_163  =  adf_6[i_47];
    f_164  =  adf_5[i_46];
    f_165  =  adf_6[i_45];
    f_166  =  adf_5[i_44];
    f_167  =  adf_6[i_43];
    f_168  =  adf_5[i_42];
    f_169  =  adf_6[i_41];
    f_170  =  adf_5[i_40];
    f_171  =  adf_6[i_39];
    f_172  =  adf_5[i_38];
    f_173  =  adf_6[i_37];
    f_174  =  adf_5[i_36];
    f_175  =  adf_6[i_35];
    f_176  =  adf_5[i_34];
    f_177  =  adf_6[i_33];
    f_178  =  adf_5[i_32];
    f_179  =  adf_6[i_31];
    f_180  =  adf_5[i_30];
    f_181  =  adf_6[i_29];
    f_182  =  adf_5[i_28];
    f_183  =  adf_6[i_27];
    f_184  =  adf_5[i_26];
    f_185  =  adf_6[i_25];
    f_186  =  adf_5[i_24];
    f_187  =  adf_6[i_23];
    f_188  =  adf_5[i_22];
    f_189  =  adf_6[i_21];
    f_190  =  adf_5[i_20];
    f_191  =  adf_6[i_19];
    f_192  =  adf_5[i_18];
    f_193  =  adf_6[i_17];
    f_194  =  adf_5[i_16];
    f_195  =  adf_6[i_15];
    f_196  =  adf_5[i_14];
    f_197  =  adf_6[i_13];
    f_198  =  adf_5[i_12];
    f_199  =  adf_6[i_9];
    barrier(CLK_LOCAL_MEM_FENCE);
    f_200  =  fma(f_136, f_137, f_85);
    f_201  =  fma(f_138, f_139, f_200);
    f_202  =  fma(f_140, f_141, f_201);
    f_203  =  fma(f_142, f_143, f_202);
    f_204  =  fma(f_144, f_145, f_203);
    f_205  =  fma(f_146, f_147, f_204);
    f_206  =  fma(f_148, f_149, f_205);
    f_207  =  fma(f_150, f_151, f_206);
    f_208  =  fma(f_152, f_153, f_207);
    f_209  =  fma(f_154, f_155, f_208);
    f_210  =  fma(f_156, f_157, f_209);
    f_211  =  fma(f_158, f_159, f_210);
    f_212  =  fma(f_160, f_161, f_211);
    f_213  =  fma(f_162, f_163, f_212);
    f_214  =  fma(f_164, f_165, f_213);
    f_215  =  fma(f_166, f_167, f_214);
    f_216  =  fma(f_168, f_169, f_215);
    f_217  =  fma(f_170, f_171, f_216);
    f_218  =  fma(f_172, f_173, f_217);
    f_219  =  fma(f_174, f_175, f_218);
    f_220  =  fma(f_176, f_177, f_219);
    f_221  =  fma(f_178, f_179, f_220);
    f_222  =  fma(f_180, f_181, f_221);
    f_223  =  fma(f_182, f_183, f_222);
    f_224  =  fma(f_184, f_185, f_223);
    f_225  =  fma(f_186, f_187, f_224);
    f_226  =  fma(f_188, f_189, f_225);
    f_227  =  fma(f_190, f_191, f_226);
    f_228  =  fma(f_192, f_193, f_227);
    f_229  =  fma(f_194, f_195, f_228);
    f_230  =  fma(f_196, f_197, f_229);
    f_231  =  fma(f_198, f_199, f_230);
    i_232  =  i_86 + 1;
    f_85  =  f_231;
    i_86  =  i_232;
  }  // B1
  // BLOCK 23
  b_233  =  i_83 < 16;
  if(b_233)
  {
    // BLOCK 24
    i_234  =  i_78 + i_7;
    b_235  =  i_234 < 256;
    if(b_235)
    {
      // BLOCK 25
      l_236  =  (long) i_234;
      l_237  =  l_236 + 4L;
      l_238  =  l_237 << 2;
      ul_239  =  ul_3 + l_238;
      f_240  =  *((__global float *) ul_239);
      i_241  =  i_234 + i_84;
      l_242  =  (long) i_241;
      l_243  =  l_242 + 4L;
      l_244  =  l_243 << 2;
      ul_245  =  ul_4 + l_244;
      f_246  =  f_240 + f_85;
      *((__global float *) ul_245)  =  f_246;
      return;
    }  // B24
    else
    {
      // BLOCK 26
      return;
    }  // B24
  }  // B23
  else
  {
    // BLOCK 27
  }  // B23
  // BLOCK 28 MERGES [27 26 25 ]
  return;
}  //  kernel
